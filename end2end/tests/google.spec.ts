import type { Page } from "@playwright/test";
import { test, expect, hydrated } from "./fixtures";
import { uniqueEmail } from "./helpers";
import { CLIENT_ID, claims, signIdToken } from "./idtoken";

/** A stand-in for Google's Identity Services script: records the config, renders a button that
 * hands the app's callback whatever token the test put in `window.__gsiToken`. */
const STAND_IN = `
window.google = { accounts: { id: {
  initialize(config) { window.__gsiConfig = config; },
  renderButton(element) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Sign in with Google";
    button.onclick = () => window.__gsiConfig.callback({ credential: window.__gsiToken, select_by: "btn" });
    element.replaceChildren(button);
  },
  prompt() { window.__gsiPrompted = true; },
} } };`;

async function serveStandIn(page: Page) {
  await page.route("https://accounts.google.com/gsi/client", (route) =>
    route.fulfill({ status: 200, contentType: "text/javascript", body: STAND_IN }),
  );
}

async function issuedNonce(page: Page): Promise<string> {
  await expect.poll(() => page.evaluate(() => (window as any).__gsiConfig?.nonce ?? null)).not.toBeNull();
  return page.evaluate(() => (window as any).__gsiConfig.nonce as string);
}

test("Google sign-in: button and One Tap, a verified token, then the protected page", async ({ page }) => {
  await serveStandIn(page);
  await page.goto("/todos");
  await expect(page).toHaveURL(/\/login\?next=%2Ftodos$/);
  await hydrated(page);

  const button = page.getByRole("button", { name: "Sign in with Google" });
  await expect(button).toBeVisible();
  expect(await page.evaluate(() => (window as any).__gsiConfig.client_id)).toBe(CLIENT_ID);
  expect(await page.evaluate(() => (window as any).__gsiPrompted)).toBe(true);

  const email = uniqueEmail();
  const token = signIdToken(claims(email, await issuedNonce(page)));
  await page.evaluate((t) => ((window as any).__gsiToken = t), token);
  await button.click();

  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByTestId("signed-in-as")).toContainText("Gina Google");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).click();
  await expect(page.getByTestId("sign-in-methods")).toContainText("Google: linked");
  await expect(page.getByRole("heading", { name: "Add a password" })).toBeVisible();
});

test("a refused Google token shows why, and a retry with a fresh nonce works", async ({ page }) => {
  await serveStandIn(page);
  await page.goto("/login");
  await hydrated(page);
  const email = uniqueEmail();

  const first = await issuedNonce(page);
  await page.evaluate((t) => ((window as any).__gsiToken = t), signIdToken(claims(email, first, { aud: "someone-else" })));
  await page.getByRole("button", { name: "Sign in with Google" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Google sign-in failed" })).toBeVisible();

  await expect.poll(() => page.evaluate(() => (window as any).__gsiConfig.nonce)).not.toBe(first);
  const second = await issuedNonce(page);
  await page.evaluate((t) => ((window as any).__gsiToken = t), signIdToken(claims(email, second)));
  await page.getByRole("button", { name: "Sign in with Google" }).click();
  await expect(page).toHaveURL(/\/welcome$/);
});
