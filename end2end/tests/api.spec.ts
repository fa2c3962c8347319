import { test, expect, type APIRequestContext } from "@playwright/test";

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
