import { test, expect, hydrated } from "./fixtures";
import { admin, password, signInThroughForm, uniqueEmail } from "./helpers";

// Two release-build server processes sharing one database and one session store (e2e.sh starts
// the second at E2E_SECOND_URL), as behind a load balancer. Cookies belong to the host, not the
// port, so one client carries the same session to both.

const second = process.env.E2E_SECOND_URL ?? "http://127.0.0.1:3002";

test("a session made on one instance works on the other, and ending it or disabling its user holds on both at once", async ({ playwright, baseURL }) => {
  expect((await (await playwright.request.newContext()).get(`${second}/healthz`)).status()).toBe(200);
  const email = uniqueEmail();
  const laptop = await playwright.request.newContext();
  const phone = await playwright.request.newContext();
  const boss = await playwright.request.newContext();
  const one = (path: string) => `${baseURL}${path}`;
  const two = (path: string) => `${second}${path}`;

  expect((await laptop.post(one("/api/auth/signup"), { data: { email, password, name: "Two Instances" } })).status()).toBe(201);
  expect((await laptop.get(two("/api/users/me"))).status()).toBe(200);
  expect((await phone.post(two("/api/auth/login"), { data: { email, password } })).status()).toBe(200);
  expect((await phone.get(one("/api/users/me"))).status()).toBe(200);

  // End the phone's session on instance one; instance two refuses its next request.
  const sessions = await (await laptop.get(one("/api/sessions"))).json();
  expect(sessions).toHaveLength(2);
  const phoneId = sessions.find((s: { current: boolean }) => !s.current).id;
  expect((await laptop.delete(one(`/api/sessions/${phoneId}`))).status()).toBe(204);
  expect((await phone.get(two("/api/users/me"))).status()).toBe(401);

  // Disable the user on instance two; instance one refuses the laptop's next request.
  expect((await boss.post(two("/api/auth/login"), { data: { email: admin.email, password: admin.password } })).status()).toBe(200);
  const { id } = await (await laptop.get(one("/api/users/me"))).json();
  expect((await boss.patch(two(`/api/admin/users/${id}`), { data: { disabled: true } })).status()).toBe(200);
  expect((await laptop.get(one("/api/todos"))).status()).toBe(403);
  expect((await laptop.get(two("/api/todos"))).status()).toBe(401);

  // Signing out on one instance ends the session on the other.
  expect((await boss.post(one("/api/auth/logout"))).status()).toBe(204);
  expect((await boss.get(two("/api/users/me"))).status()).toBe(401);
});

test("a browser signed in on one instance sees its private pages on the other", async ({ page, request }) => {
  const email = uniqueEmail();
  expect((await request.post("/api/auth/signup", { data: { email, password, name: "Page Hopper" } })).status()).toBe(201);
  await page.goto("/login?next=%2Ftodos");
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page).toHaveURL(/\/todos$/);

  await page.goto(`${second}/sessions`);
  await expect(page).toHaveURL(`${second}/sessions`);
  await hydrated(page);
  await expect(page.getByTestId("session").filter({ hasText: "This device" })).toHaveCount(1);
});
