import { test, expect, hydrated } from "./fixtures";
import { linkIn, mailTo, password, uniqueEmail } from "./helpers";

// Credential events (SECURITY C1, C2): an intruder with a copied cookie asks to move the
// account to their address; the owner changes the password on /profile; the intruder's
// confirmation link then fails, and so does the copied cookie.
test("the owner's password change ends the intruder's pending email change", async ({ page, playwright, baseURL }) => {
  const email = uniqueEmail();
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Name").fill("Owner");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/welcome$/);

  // The intruder copies the session cookie into a client of their own.
  const cookie = (await page.context().cookies()).find((c) => c.name === "gatehouse" || c.name === "__Host-gatehouse");
  expect(cookie).toBeTruthy();
  const intruder = await playwright.request.newContext({
    baseURL,
    extraHTTPHeaders: { cookie: `${cookie!.name}=${cookie!.value}` },
  });
  const theirs = uniqueEmail();
  const asked = await intruder.post("/api/users/me/email", { data: { new_email: theirs } });
  expect(asked.status(), await asked.text()).toBe(202);
  const link = linkIn(await mailTo(intruder, theirs, "Confirm your new email address"), "/confirm-email");
  const token = new URL(link).searchParams.get("token");

  // The owner changes the password on /profile.
  await page.goto("/profile");
  await hydrated(page);
  const form = page.locator("form").filter({ has: page.getByRole("heading", { name: "Change password" }) });
  await form.getByLabel("Current password").fill(password);
  await form.getByLabel("New password").fill("the owner's new passphrase");
  await form.getByRole("button", { name: "Save password" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Password saved." })).toBeVisible();

  // The intruder's link no longer moves the address, and the copied cookie is signed out.
  const confirmed = await intruder.post("/api/users/me/email/confirm", { data: { token } });
  expect(confirmed.status()).toBe(422);
  expect((await intruder.get("/api/users/me")).status()).toBe(401);
  await page.reload();
  await hydrated(page);
  await expect(page.getByText(email).first()).toBeVisible();
});
