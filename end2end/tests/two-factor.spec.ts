import type { APIRequestContext } from "@playwright/test";
import { test, expect, hydrated } from "./fixtures";
import { password, signInAt, signInThroughForm, uniqueEmail, verifyEmail } from "./helpers";
import { freshCode, stepOf } from "./totp";

// Two-factor sign-in (SECURITY M1, M2): enrol on /security by reading the secret, sign in with
// a code, refuse a replayed code, sign in with a recovery code. e2e.sh sets SECRETS_KEY. Codes
// are computed from the secret the page shows, as an authenticator app would; a second code
// waits for the next 30-second step, so these tests may take a minute. Only an account whose
// address is verified can turn it on: each test verifies it from the mail (maildev, e2e.sh).

/**
 * Signs up on the page (to /security, which asks to confirm the address before offering
 * two-factor sign-in), verifies the address from its mail, and loads /security again.
 */
async function signUp(page: import("@playwright/test").Page, request: APIRequestContext, base = "") {
  const email = uniqueEmail();
  await page.goto(`${base}/signup?next=%2Fsecurity`);
  await hydrated(page);
  await page.getByLabel("Name").fill("Two Factor");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/security$/);
  await hydrated(page);
  const section = page.getByTestId("two-factor");
  await expect(section.getByTestId("verify-email-first")).toContainText("Confirm your email address first");
  await expect(section.getByRole("button", { name: "Send the verification link again" })).toBeVisible();
  await expect(section.getByRole("button", { name: "Turn on two-factor sign-in" })).toHaveCount(0);

  await verifyEmail(request, email);
  await page.reload();
  await hydrated(page);
  await expect(section.getByTestId("verify-email-first")).toHaveCount(0);
  return email;
}

/** Turns two-factor sign-in on from /security; returns the secret and the recovery codes. */
async function enrol(page: import("@playwright/test").Page, used: Set<number>) {
  const section = page.getByTestId("two-factor");
  await expect(section.getByTestId("totp-status")).toContainText("Off.");
  await section.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  const enrolment = section.getByTestId("totp-enrolment");
  await expect(enrolment.locator(".qr svg")).toBeVisible();
  const secret = (await enrolment.getByTestId("totp-secret").textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await enrolment.getByLabel("The 6-digit code the app shows").fill("000000");
  await enrolment.getByRole("button", { name: "Turn on" }).click();
  await expect(enrolment.getByRole("alert").filter({ hasText: "not the current code" })).toBeVisible();
  await enrolment.getByLabel("The 6-digit code the app shows").fill(await freshCode(secret, used));
  await enrolment.getByRole("button", { name: "Turn on" }).click();
  const list = section.getByTestId("recovery-codes");
  await expect(list.locator("li")).toHaveCount(10);
  const codes = (await list.locator("li").allTextContents()).map((code) => code.trim());
  await expect(section.getByTestId("totp-status")).toContainText("On.");
  await expect(section.getByTestId("totp-status")).toContainText("10 recovery codes left.");
  await list.getByRole("button", { name: "I have saved them" }).click();
  await expect(list).toBeHidden();
  return { secret, codes };
}

async function signOut(page: import("@playwright/test").Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
}

test("enrol by reading the secret, then sign in with a code, a replayed code and a recovery code", async ({ page, request }) => {
  test.setTimeout(150_000);
  const used = new Set<number>();
  const email = await signUp(page, request);
  const { secret, codes } = await enrol(page, used);
  await signOut(page);

  // The password alone leads to the code step, not in.
  await page.goto("/login?next=%2Ftodos");
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page).toHaveURL(/\/login\/second-factor\?next=%2Ftodos$/);
  expect((await page.request.get("/api/users/me")).status()).toBe(401);
  const code = await freshCode(secret, used);
  await page.getByLabel("The 6-digit code from your authenticator app").fill(code);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByTestId("signed-in-as")).toContainText("Two Factor");

  // The same code again, within its window: refused.
  await signOut(page);
  await page.goto("/login?next=%2Ftodos");
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page).toHaveURL(/\/login\/second-factor/);
  await page.getByLabel("The 6-digit code from your authenticator app").fill(code);
  // Still within the code's window (its step or the next, the server's skew), so what refuses
  // it is that it was used.
  expect(stepOf(Date.now()) - [...used].pop()!).toBeLessThanOrEqual(1);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "That code is not right, or was used already." })).toBeVisible();
  await expect(page).toHaveURL(/\/login\/second-factor/);

  // A lost phone: a recovery code, once.
  await page.getByRole("link", { name: "Lost your phone? Use a recovery code" }).click();
  await page.getByLabel("A recovery code").fill(codes[0]);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/todos$/);
  await page.goto("/security");
  await hydrated(page);
  await expect(page.getByTestId("totp-status")).toContainText("9 recovery codes left.");
});

test("turning it off on an old session asks for the password and a code", async ({ page, request }) => {
  test.setTimeout(150_000);
  const stepUp = process.env.E2E_STEP_UP_URL ?? "http://127.0.0.1:3003";
  const windowSecs = Number(process.env.E2E_STEP_UP_WINDOW_SECS ?? "3");
  const used = new Set<number>();
  const email = await signUp(page, request, stepUp);
  // Turning it on needs a recent sign-in, and verifying the address may have used up the short
  // window: sign in afresh.
  await signOut(page);
  await page.goto(`${stepUp}/login?next=%2Fsecurity`);
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page).toHaveURL(/\/security$/);
  await hydrated(page);
  const { secret } = await enrol(page, used);
  // The condition is the clock itself: the sign-in has to become older than the window.
  await page.waitForTimeout((windowSecs + 1) * 1000);

  await page.getByRole("button", { name: "Turn off" }).click();
  const prompt = page.getByTestId("reauth");
  await expect(prompt).toBeVisible();
  const codeField = prompt.getByLabel("The 6-digit code from your authenticator app");
  await expect(codeField).toBeVisible();
  await prompt.getByLabel("Your password").fill(password);
  await prompt.getByRole("button", { name: "Confirm" }).click();
  await expect(prompt.getByRole("alert").filter({ hasText: "code from your authenticator app" })).toBeVisible();
  await codeField.fill(await freshCode(secret, used));
  await prompt.getByLabel("Your password").fill(password);
  await prompt.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByTestId("totp-status")).toContainText("Off.");
  await expect(prompt).toBeHidden();

  // Signing in asks for no code now.
  await signOut(page);
  await signInAt(page, email, "/todos");
});
