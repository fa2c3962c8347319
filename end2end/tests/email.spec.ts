import { test, expect, hydrated } from "./fixtures";
import { linkIn, mailTo, password, uniqueEmail, verifyEmail } from "./helpers";

// Mail journeys against a real SMTP catcher: e2e.sh starts maildev (SMTP 1025, HTTP API 1080)
// and points the app's smtp_url at it; these tests read the links from maildev's API (helpers.ts).

async function signUpThroughPage(page: import("@playwright/test").Page, email: string) {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Name").fill("Mail Journey");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/welcome$/);
}

test("sign up, get the mail, verify the address", async ({ page, request }) => {
  const email = uniqueEmail();
  await signUpThroughPage(page, email);

  const mail = await mailTo(request, email, "Confirm your email address");
  const link = linkIn(mail, "/verify-email");
  await page.goto(link);
  await hydrated(page);
  // Opening the link verifies nothing by itself: the page asks.
  await page.goto("/profile");
  await expect(page.getByTestId("email-section")).toContainText("not verified");
  await page.goto(link);
  await hydrated(page);
  // The page takes the token out of the address bar once it runs; its form still holds it.
  await expect(page).not.toHaveURL(/token=/);
  await page.getByRole("button", { name: "Verify my email" }).click();
  await expect(page.getByRole("status")).toContainText(`${email} is verified.`);

  await page.goto("/profile");
  await hydrated(page);
  const section = page.getByTestId("email-section");
  await expect(section).toContainText(email);
  await expect(section.locator(".badge")).toHaveText("verified");
});

test.describe("without JavaScript", () => {
  // With JavaScript off, the WASM the page preloads is never used, and Chromium may say so.
  test.use({ javaScriptEnabled: false, allowedConsole: [/was preloaded using link preload but not used/] });

  test("the verification link's form carries the token from the server", async ({ page, request }) => {
    const email = uniqueEmail();
    expect((await request.post("/api/auth/signup", { data: { email, password, name: "No Script" } })).status()).toBe(201);
    await page.goto(linkIn(await mailTo(request, email, "Confirm your email address"), "/verify-email"));
    // Nothing runs to change the address; the server-rendered form holds the token.
    await expect(page).toHaveURL(/\/verify-email\?token=/);
    await page.getByRole("button", { name: "Verify my email" }).click();
    await expect
      .poll(async () => (await (await request.get("/api/users/me")).json()).email_verified, {
        message: `${email} verified`,
      })
      .toBe(true);
  });
});

test("forgot password: the mail, a new password, every old session gone", async ({ page, request, playwright, baseURL }) => {
  const email = uniqueEmail();
  expect((await request.post("/api/auth/signup", { data: { email, password, name: "Forgetful" } })).status()).toBe(201);
  // An owner who proved the address: the reset is a plain one (a never-verified account's is a
  // claim, and its notice says so).
  await verifyEmail(request, email);
  const phone = await playwright.request.newContext({ baseURL });
  expect((await phone.post("/api/auth/login", { data: { email, password } })).status()).toBe(200);

  await page.goto("/login");
  await hydrated(page);
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account uses that address");

  const mail = await mailTo(request, email, "Reset your password");
  await page.goto(linkIn(mail, "/reset-password"));
  await hydrated(page);
  // Out of the address bar, still in the form: through a refused password and the accepted one.
  await expect(page).not.toHaveURL(/token=/);
  await page.getByLabel("New password").fill("password");
  await page.getByRole("button", { name: "Set the password" }).click();
  await expect(page.getByText("is one of the most common passwords")).toBeVisible();
  await page.getByLabel("New password").fill("a freshly reset passphrase");
  await page.getByRole("button", { name: "Set the password" }).click();
  await expect(page.getByRole("status")).toContainText("Your password is set");

  expect((await phone.get("/api/users/me")).status()).toBe(401);
  expect((await request.get("/api/users/me")).status()).toBe(401);
  await mailTo(request, email, "Your password was changed");
  await page.locator("#main").getByRole("link", { name: "Sign in" }).click();
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a freshly reset passphrase");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/welcome$/);
});

test("change the email: a link to the new address, a notice to the old", async ({ page, request }) => {
  const email = uniqueEmail();
  const next = uniqueEmail();
  await signUpThroughPage(page, email);
  await page.goto("/profile");
  await hydrated(page);

  const section = page.getByTestId("email-section");
  await section.getByLabel("New email address").fill(next);
  await section.getByRole("button", { name: "Change email" }).click();
  await expect(section.getByRole("status").filter({ hasText: "We sent a link" })).toContainText(next);

  await mailTo(request, email, "Your email address is being changed");
  const mail = await mailTo(request, next, "Confirm your new email address");
  await page.goto(linkIn(mail, "/confirm-email"));
  await hydrated(page);
  await expect(page).not.toHaveURL(/token=/);
  await page.getByRole("button", { name: "Use this address" }).click();
  await expect(page.getByRole("status")).toContainText(`Your account's address is now ${next}.`);

  await page.goto("/profile");
  await hydrated(page);
  await expect(page.getByTestId("email-section")).toContainText(next);
  await expect(page.getByTestId("email-section").locator(".badge")).toHaveText("verified");
});

test("delete the account from the profile", async ({ page, request }) => {
  const email = uniqueEmail();
  await signUpThroughPage(page, email);
  await page.goto("/profile");
  await hydrated(page);

  const data = page.getByTestId("your-data");
  await expect(data.getByRole("link", { name: "Download your data" })).toHaveAttribute("href", "/api/users/me/export");
  await data.getByLabel("I understand that deleting my account cannot be undone.").check();
  await data.getByRole("button", { name: "Delete my account" }).click();

  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  expect((await request.post("/api/auth/login", { data: { email, password } })).status()).toBe(401);
});
