import { test, expect } from "./fixtures";
import type { APIRequestContext } from "@playwright/test";

// The /api contract against the running release build (run once on the embedded defaults and
// once with Redis + PostgreSQL; see e2e.sh).

const password = "correct horse battery";
const uniqueEmail = () => `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;

async function signUp(request: APIRequestContext) {
  const email = uniqueEmail();
  const response = await request.post("/api/auth/signup", { data: { email, password, name: "E2E" } });
  expect(response.status()).toBe(201);
  return email;
}

test("sign-up, me, todos, logout and replay follow the contract", async ({ playwright, baseURL }) => {
  const request = await playwright.request.newContext({ baseURL });
  const email = await signUp(request);

  const me = await request.get("/api/users/me");
  expect(me.status()).toBe(200);
  expect(me.headers()["cache-control"]).toBe("no-store");
  expect((await me.json()).email).toBe(email);

  const created = await request.post("/api/todos", { data: { title: "release build" } });
  expect(created.status()).toBe(201);
  const todo = await created.json();
  const patched = await request.patch(`/api/todos/${todo.id}`, { data: { done: true } });
  expect(await patched.json()).toEqual({ id: todo.id, title: "release build", done: true });
  expect((await request.post("/api/todos", { data: { title: "" } })).status()).toBe(422);

  const state = await request.storageState();
  const cookie = state.cookies.find((c) => c.name === "gatehouse");
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Lax");

  expect((await request.post("/api/auth/logout")).status()).toBe(204);
  const replay = await playwright.request.newContext({
    baseURL,
    extraHTTPHeaders: { cookie: `gatehouse=${cookie!.value}` },
  });
  expect((await replay.get("/api/users/me")).status()).toBe(401);
  expect((await replay.delete(`/api/todos/${todo.id}`)).status()).toBe(401);
});

test("wrong password and unknown email get the same 401", async ({ playwright, baseURL }) => {
  const request = await playwright.request.newContext({ baseURL });
  const email = await signUp(request);
  const wrong = await request.post("/api/auth/login", { data: { email, password: "nope nope nope" } });
  const unknown = await request.post("/api/auth/login", { data: { email: uniqueEmail(), password: "nope nope nope" } });
  expect(wrong.status()).toBe(401);
  expect(unknown.status()).toBe(401);
  expect(await wrong.text()).toBe(await unknown.text());
});

test("a cross-site form post is refused", async ({ request }) => {
  const response = await request.post("/api/auth/login", {
    headers: { "sec-fetch-site": "cross-site" },
    data: { email: uniqueEmail(), password },
  });
  expect(response.status()).toBe(403);
});

test("the remaining rows: 409, profile, password change, delete, throttling", async ({ playwright, baseURL }) => {
  const request = await playwright.request.newContext({ baseURL });
  const email = await signUp(request);

  const again = await request.post("/api/auth/signup", { data: { email: email.toUpperCase(), password, name: "X" } });
  expect(again.status()).toBe(409);

  const renamed = await request.patch("/api/users/me", { data: { name: "Renamed" } });
  expect(renamed.status()).toBe(200);
  expect((await renamed.json()).name).toBe("Renamed");
  expect((await request.patch("/api/users/me", { data: { name: "" } })).status()).toBe(422);

  const wrongCurrent = await request.post("/api/users/me/password", {
    data: { current_password: "not it at all", new_password: "a new long passphrase" },
  });
  expect(wrongCurrent.status()).toBe(403);
  const changed = await request.post("/api/users/me/password", {
    data: { current_password: password, new_password: "a new long passphrase" },
  });
  expect(changed.status()).toBe(204);
  expect((await request.get("/api/users/me")).status()).toBe(200);

  const todo = await (await request.post("/api/todos", { data: { title: "to delete" } })).json();
  expect((await request.delete(`/api/todos/${todo.id}`)).status()).toBe(204);
  expect((await request.delete(`/api/todos/${todo.id}`)).status()).toBe(404);

  // A fresh account: the wrong current password above already counted as one failure.
  const target = await signUp(await playwright.request.newContext({ baseURL }));
  const attacker = await playwright.request.newContext({ baseURL });
  for (let i = 0; i < 5; i++) {
    const failed = await attacker.post("/api/auth/login", { data: { email: target, password: "guess guess guess" } });
    expect(failed.status()).toBe(401);
  }
  const throttled = await attacker.post("/api/auth/login", { data: { email: target, password } });
  expect(throttled.status()).toBe(429);
  expect(Number(throttled.headers()["retry-after"])).toBeGreaterThan(0);
});
