import { test, expect } from "./fixtures";
import { admin, password, signedInClient, uniqueEmail } from "./helpers";

// Every row of the sessions, admin and customer-management contract against the release build
// (embedded defaults, then Redis + PostgreSQL; see e2e.sh).

async function newUser(playwright: Parameters<typeof signedInClient>[0], baseURL: string | undefined, name = "Row Tester") {
  const email = uniqueEmail();
  const client = await playwright.request.newContext({ baseURL });
  expect((await client.post("/api/auth/signup", { data: { email, password, name } })).status()).toBe(201);
  const { id } = await (await client.get("/api/users/me")).json();
  return { email, client, id: id as number };
}

test("/api/sessions: list, end one, end the others; 401 and 404", async ({ playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL });
  const { email, client: laptop } = await newUser(playwright, baseURL);
  const phone = await signedInClient(playwright, baseURL, email);
  const tablet = await signedInClient(playwright, baseURL, email);

  const listed = await laptop.get("/api/sessions");
  expect(listed.status()).toBe(200);
  expect(listed.headers()["cache-control"]).toBe("no-store");
  const sessions = await listed.json();
  expect(sessions).toHaveLength(3);
  for (const s of sessions) {
    expect(Object.keys(s).sort()).toEqual(["created_at", "current", "id", "ip", "last_seen_at", "user_agent"]);
  }
  const cookie = (await laptop.storageState()).cookies.find((c) => c.name === "gatehouse")!.value;
  expect(sessions.map((s: { id: string }) => s.id)).not.toContain(cookie);
  expect(sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);

  const phoneSessions = await (await phone.get("/api/sessions")).json();
  const phoneId = phoneSessions.find((s: { current: boolean }) => s.current).id;
  expect((await laptop.delete(`/api/sessions/${phoneId}`)).status()).toBe(204);
  expect((await phone.get("/api/users/me")).status()).toBe(401);
  expect((await laptop.delete(`/api/sessions/${phoneId}`)).status()).toBe(404);

  const stranger = await newUser(playwright, baseURL);
  const tabletId = (await (await tablet.get("/api/sessions")).json()).find((s: { current: boolean }) => s.current).id;
  expect((await stranger.client.delete(`/api/sessions/${tabletId}`)).status()).toBe(404);
  expect((await tablet.get("/api/users/me")).status()).toBe(200);

  expect((await laptop.delete("/api/sessions")).status()).toBe(204);
  expect((await tablet.get("/api/users/me")).status()).toBe(401);
  expect((await laptop.get("/api/users/me")).status()).toBe(200);

  expect((await anonymous.get("/api/sessions")).status()).toBe(401);
  expect((await anonymous.delete("/api/sessions")).status()).toBe(401);
  expect((await anonymous.delete(`/api/sessions/${tabletId}`)).status()).toBe(401);
});

test("/api/admin/*: 401 anonymous, 403 non-admin, and every admin row", async ({ playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL });
  const boss = await signedInClient(playwright, baseURL, admin.email);
  const { id: bossId } = await (await boss.get("/api/users/me")).json();
  const user = await newUser(playwright, baseURL, "Listed Person");
  const paths = ["/api/admin/users?query=&page=1", `/api/admin/users/${user.id}/sessions`, "/api/admin/audit?page=1"];
  for (const path of paths) {
    expect((await anonymous.get(path)).status(), path).toBe(401);
    expect((await user.client.get(path)).status(), path).toBe(403);
  }
  expect((await user.client.patch(`/api/admin/users/${bossId}`, { data: { disabled: true } })).status()).toBe(403);
  expect((await user.client.delete(`/api/admin/users/${bossId}/sessions`)).status()).toBe(403);
  expect((await anonymous.patch(`/api/admin/users/${bossId}`, { data: { disabled: true } })).status()).toBe(401);

  const found = await (await boss.get(`/api/admin/users?query=${encodeURIComponent(user.email)}&page=1`)).json();
  expect(found.total).toBe(1);
  expect(found.users[0]).toMatchObject({ id: user.id, email: user.email, disabled: false, is_admin: false, session_count: 1 });
  expect((await boss.get("/api/admin/users?page=0")).status()).toBe(422);

  const promoted = await boss.patch(`/api/admin/users/${user.id}`, { data: { is_admin: true } });
  expect(promoted.status()).toBe(200);
  expect((await promoted.json()).is_admin).toBe(true);
  expect((await user.client.get("/api/admin/audit")).status()).toBe(200);
  expect((await boss.patch(`/api/admin/users/${user.id}`, { data: { is_admin: false } })).status()).toBe(200);
  expect((await user.client.get("/api/admin/audit")).status()).toBe(403);
  expect((await boss.patch(`/api/admin/users/${bossId}`, { data: { is_admin: false } })).status()).toBe(409);
  expect((await boss.patch(`/api/admin/users/${bossId}`, { data: { disabled: true } })).status()).toBe(409);
  expect((await boss.patch("/api/admin/users/99999999", { data: { disabled: true } })).status()).toBe(404);

  const sessions = await boss.get(`/api/admin/users/${user.id}/sessions`);
  expect(sessions.status()).toBe(200);
  expect(await sessions.json()).toHaveLength(1);
  expect((await boss.get("/api/admin/users/99999999/sessions")).status()).toBe(404);
  expect((await boss.delete(`/api/admin/users/${user.id}/sessions`)).status()).toBe(204);
  expect((await user.client.get("/api/users/me")).status()).toBe(401);
  expect((await boss.delete("/api/admin/users/99999999/sessions")).status()).toBe(404);

  const disabledUser = await newUser(playwright, baseURL);
  expect((await boss.patch(`/api/admin/users/${disabledUser.id}`, { data: { disabled: true } })).status()).toBe(200);
  expect((await disabledUser.client.get("/api/todos")).status()).toBe(403);

  const audit = await (await boss.get("/api/admin/audit?page=1&per_page=100")).json();
  const kinds = audit.events.map((e: { kind: string }) => e.kind);
  for (const kind of ["admin_granted", "admin_revoked", "session_revoked", "user_disabled"]) {
    expect(kinds).toContain(kind);
  }
  const grant = audit.events.find((e: { kind: string; email: string }) => e.kind === "admin_granted" && e.email === user.email);
  expect(grant).toMatchObject({ actor_email: admin.email, ip: "127.0.0.1" });
});

test("customer management is admin-only; reading stays open to signed-in users", async ({ playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL });
  const boss = await signedInClient(playwright, baseURL, admin.email);
  const user = await newUser(playwright, baseURL);
  const body = { name: "Bea Row", email: "row@customer.example", company: "Rows Ltd", plan: "free" };

  expect((await anonymous.post("/api/customers", { data: body })).status()).toBe(401);
  expect((await user.client.post("/api/customers", { data: body })).status()).toBe(403);
  const invalid = await boss.post("/api/customers", { data: { ...body, plan: "platinum", email: "x" } });
  expect(invalid.status()).toBe(422);
  expect((await invalid.json()).fields.map((f: { field: string }) => f.field)).toEqual(["email", "plan"]);

  const created = await boss.post("/api/customers", { data: body });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  expect((await user.client.get(`/api/customers/${id}`)).status()).toBe(200);
  expect((await user.client.patch(`/api/customers/${id}`, { data: { plan: "team" } })).status()).toBe(403);
  expect((await user.client.delete(`/api/customers/${id}`)).status()).toBe(403);
  const edited = await boss.patch(`/api/customers/${id}`, { data: { plan: "team" } });
  expect((await edited.json()).plan).toBe("team");
  expect((await boss.patch(`/api/customers/${id}`, { data: { name: "" } })).status()).toBe(422);
  expect((await boss.delete(`/api/customers/${id}`)).status()).toBe(204);
  expect((await boss.delete(`/api/customers/${id}`)).status()).toBe(404);
  expect((await boss.patch(`/api/customers/${id}`, { data: { plan: "free" } })).status()).toBe(404);
  expect((await anonymous.delete(`/api/customers/${id}`)).status()).toBe(401);
});
