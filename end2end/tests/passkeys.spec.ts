import type { CDPSession, Page } from "@playwright/test";
import { test, expect, hydrated } from "./fixtures";
import { password, uniqueEmail, verifyEmail } from "./helpers";
import { stepOf, totp } from "./totp";

// Passkeys (SECURITY M4) with Chromium's virtual authenticator (CDP WebAuthn): enrol one on
// /security, sign out, sign in with the button and with the email field's autofill, remove it.
// WebAuthn refuses an IP address as RP ID, so these pages are opened at localhost (the server's
// default RP ID for a loopback address). Only an account whose address is verified can add a
// passkey: the test verifies it from the mail (maildev, e2e.sh) first.

const base = (process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000").replace("127.0.0.1", "localhost");

/** A platform authenticator with user verification, holding discoverable credentials. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
}

test("enrol a passkey, sign in with the button and with autofill, remove it", async ({ page, request }) => {
  test.setTimeout(90_000);
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  const email = uniqueEmail();
  await page.goto(`${base}/signup?next=%2Fsecurity`);
  await hydrated(page);
  await page.getByLabel("Name").fill("Pass Key");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/security$/);
  await hydrated(page);

  // Until the address is verified, the page asks for that instead of offering a passkey.
  const section = page.getByTestId("passkeys");
  await expect(section.getByTestId("verify-email-first")).toContainText("Confirm your email address first");
  await expect(section.getByRole("button", { name: "Send the verification link again" })).toBeVisible();
  await expect(section.getByRole("button", { name: "Add a passkey" })).toHaveCount(0);
  await verifyEmail(request, email);
  await page.reload();
  await hydrated(page);

  // Enrol: the browser makes a discoverable credential for this site, with user verification.
  await expect(section.getByTestId("passkey-list-empty")).toBeVisible();
  await section.getByPlaceholder("Name, e.g. Work laptop").fill("Test laptop");
  await section.getByRole("button", { name: "Add a passkey" }).click();
  await expect(section.getByTestId("passkey-name")).toHaveText("Test laptop");
  await expect(section.getByRole("status")).toContainText('Passkey "Test laptop" added.');
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);
  expect(credentials[0].rpId).toBe("localhost");

  // Rename it in place.
  await section.getByRole("button", { name: "Rename" }).click();
  await section.getByLabel("New name").fill("Work laptop");
  await section.getByRole("button", { name: "Save" }).click();
  await expect(section.getByTestId("passkey-name")).toHaveText("Work laptop");
  await signOut(page);

  // Autofill: the login page's conditional request waits for the email field's passkey list.
  // The virtual authenticator answers it as soon as it is made, as a user picking the passkey.
  const count = async () =>
    (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials[0].signCount;
  const before = await count();
  await page.goto(`${base}/login?next=%2Fsecurity`);
  await expect(page).toHaveURL(/\/security$/);
  await hydrated(page);
  await expect(page.getByTestId("passkeys").getByTestId("passkey")).toContainText("last used");
  expect(await count()).toBeGreaterThan(before);
  await signOut(page);

  // The button: with the authenticator not answering on its own, the autofill request stays
  // pending; the button aborts it and asks again (a browser takes one request at a time).
  await cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId, enabled: false });
  await page.goto(`${base}/login?next=%2Fsecurity`);
  await hydrated(page);
  await expect(page.getByLabel("Email")).toHaveAttribute("autocomplete", "username webauthn");
  const button = page.getByRole("button", { name: "Sign in with a passkey" });
  await expect(button).toBeVisible();
  await page.waitForTimeout(500);
  await expect(page).toHaveURL(/\/login/);
  await cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId, enabled: true });
  await button.click();
  await expect(page).toHaveURL(/\/security$/);
  const afterButton = await count();
  expect(afterButton).toBeGreaterThan(before + 1);

  // With two-factor sign-in on, the password leads to the code step, where the passkey
  // completes the sign-in instead of a code (it proves both factors).
  const enrolment = await (await page.request.post(`${base}/api/users/me/totp`)).json();
  const confirmed = await page.request.post(`${base}/api/users/me/totp/confirm`, {
    data: { code: totp(enrolment.secret, stepOf(Date.now())) },
  });
  expect(confirmed.status()).toBe(200);
  await signOut(page);
  await cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId, enabled: false });
  await page.goto(`${base}/login?next=%2Fsecurity`);
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/second-factor\?next=%2Fsecurity&passkey=1$/);
  await hydrated(page);
  await cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId, enabled: true });
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/security$/);
  await hydrated(page);

  // Removing it needs a recent sign-in: the passkey sign-in was one.
  await page.getByTestId("passkeys").getByRole("button", { name: "Remove passkey Work laptop" }).click();
  await expect(page.getByTestId("passkeys").getByTestId("passkey-list-empty")).toBeVisible();
  await signOut(page);

  // A removed passkey signs in no more: the authenticator still offers it, the server refuses.
  await page.goto(`${base}/login`);
  await hydrated(page);
  await expect(page.getByRole("alert").filter({ hasText: "did not sign you in" })).toBeVisible();
  await page.waitForTimeout(1000);
  await expect(page).toHaveURL(/\/login$/);
});
