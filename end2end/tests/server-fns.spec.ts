import { test, expect, hydrated } from "./fixtures";
import { admin, createAccount, signedInClient, signInAt } from "./helpers";

// How the browser reacts to a server function's refusal: the same as to the API's.

test("a server function's 403 for a disabled account signs the browser out", async ({ page, request, playwright, baseURL }) => {
  const email = await createAccount(request);
  await signInAt(page, email, "/todos");
  // The page has settled (hydrated, its list loaded) before the account changes under it.
  await hydrated(page);
  await expect(page.getByLabel("New todo")).toBeEditable();
  const { id } = await (await page.request.get("/api/users/me")).json();

  const boss = await signedInClient(playwright, baseURL, admin.email);
  expect((await boss.patch(`/api/admin/users/${id}`, { data: { disabled: true } })).status()).toBe(200);

  await page.getByLabel("New todo").fill("after being disabled");
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Ftodos$/);
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await boss.dispose();
});

test("a throttled server function shows how long to wait", async ({ page, request }) => {
  const email = await createAccount(request);
  await signInAt(page, email, "/profile");
  await hydrated(page);

  const form = page.locator("form").filter({ has: page.getByRole("heading", { name: "Change password" }) });
  const waitMessage = form.getByRole("alert").filter({ hasText: /Too many attempts\. Try again in \d+ seconds\./ });
  for (let attempt = 0; attempt < 30; attempt++) {
    await form.getByLabel("Current password").fill(`not it ${attempt} at all`);
    await form.getByLabel("New password").fill("a brand new passphrase");
    await form.getByRole("button", { name: "Save password" }).click();
    // Each answer shows, one way or the other, before the next try.
    await expect(form.getByRole("alert").filter({ hasText: /./ }).first()).toBeVisible();
    if (await waitMessage.isVisible()) break;
  }
  await expect(waitMessage).toBeVisible();
  // Still signed in: a throttled attempt ends nothing.
  await expect(page).toHaveURL(/\/profile$/);
});
