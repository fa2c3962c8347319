import { test, expect, hydrated } from "./fixtures";
import { password, uniqueEmail } from "./helpers";

// Step-up re-authentication (SECURITY S13) against an instance whose window is three seconds
// (e2e.sh starts it at E2E_STEP_UP_URL, on the same database and session store), so a session
// can grow old within a test.
const stepUp = process.env.E2E_STEP_UP_URL ?? "http://127.0.0.1:3003";
const windowSecs = Number(process.env.E2E_STEP_UP_WINDOW_SECS ?? "3");

/** Signs up through the page and waits out the re-authentication window. */
async function oldSession(page: import("@playwright/test").Page, email: string) {
  await page.goto(`${stepUp}/signup`);
  await hydrated(page);
  await page.getByLabel("Name").fill("Step Up");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/welcome$/);
  // The condition here is the clock itself: the sign-in has to become older than the window.
  await page.waitForTimeout((windowSecs + 1) * 1000);
}

test("changing the password on an old session asks for the password again, then goes through", async ({ page, playwright }) => {
  const email = uniqueEmail();
  await oldSession(page, email);
  await page.goto(`${stepUp}/profile`);
  await hydrated(page);

  const form = page.locator("form").filter({ has: page.getByRole("heading", { name: "Change password" }) });
  await form.getByLabel("Current password").fill(password);
  await form.getByLabel("New password").fill("a brand new passphrase");
  await form.getByRole("button", { name: "Save password" }).click();

  const prompt = page.getByTestId("reauth");
  await expect(prompt).toBeVisible();
  await expect(prompt).toContainText("Confirm it is you");
  await prompt.getByLabel("Your password").fill("not my password");
  await prompt.getByRole("button", { name: "Confirm" }).click();
  await expect(prompt.getByRole("alert").filter({ hasText: "The password is not correct." })).toBeVisible();
  await prompt.getByLabel("Your password").fill(password);
  await prompt.getByRole("button", { name: "Confirm" }).click();

  await expect(page.getByRole("status").filter({ hasText: "Password saved." })).toBeVisible();
  await expect(prompt).toBeHidden();
  const fresh = await playwright.request.newContext({ baseURL: stepUp });
  expect((await fresh.post("/api/auth/login", { data: { email, password: "a brand new passphrase" } })).status()).toBe(200);
});

test("signing out every other session on an old session asks first", async ({ page, playwright }) => {
  const email = uniqueEmail();
  await oldSession(page, email);
  const tablet = await playwright.request.newContext({ baseURL: stepUp });
  expect((await tablet.post("/api/auth/login", { data: { email, password } })).status()).toBe(200);
  await page.goto(`${stepUp}/sessions`);
  await hydrated(page);
  await expect(page.getByTestId("session")).toHaveCount(2);

  await page.getByRole("button", { name: "Sign out all other sessions" }).click();
  const prompt = page.getByTestId("reauth");
  await expect(prompt).toBeVisible();
  expect((await tablet.get("/api/users/me")).status()).toBe(200);
  await prompt.getByLabel("Your password").fill(password);
  await prompt.getByRole("button", { name: "Confirm" }).click();

  await expect(page.getByRole("status")).toContainText("Every other session is signed out.");
  await expect(page.getByTestId("session")).toHaveCount(1);
  expect((await tablet.get("/api/users/me")).status()).toBe(401);
});
