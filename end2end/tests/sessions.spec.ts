import { test, expect, hydrated } from "./fixtures";
import { createAccount, signInAt, signedInClient } from "./helpers";

const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

test("a signed-out visit to /sessions goes to /login and back", async ({ page }) => {
  await page.goto("/sessions");
  await expect(page).toHaveURL(/\/login\?next=%2Fsessions$/);
});

test("the sessions page marks this device and signs another one out", async ({ page, request, playwright, baseURL }) => {
  const email = await createAccount(request);
  const phone = await signedInClient(playwright, baseURL, email, iphone);
  await signInAt(page, email, "/sessions");
  await hydrated(page);

  const sessions = page.getByTestId("session");
  // The account's sign-up client, the phone, and this browser.
  await expect(sessions).toHaveCount(3);
  const current = sessions.filter({ hasText: "This device" });
  await expect(current).toHaveCount(1);
  await expect(current).toContainText("Chrome on");
  await expect(current).toContainText("127.0.0.1");
  const phoneCard = sessions.filter({ hasText: "Safari on iPhone" });
  await expect(phoneCard).toContainText("Last active");

  await phoneCard.getByRole("button", { name: "Sign out Safari on iPhone" }).click();
  await expect(page.getByRole("status")).toContainText("That session is signed out.");
  await expect(sessions).toHaveCount(2);
  expect((await phone.get("/api/users/me")).status()).toBe(401);
  expect((await request.get("/api/users/me")).status()).toBe(200);
  await expect(current.getByRole("button")).toHaveCount(0);
});

test("signing out every other session keeps this one", async ({ page, request, playwright, baseURL }) => {
  const email = await createAccount(request);
  const tablet = await signedInClient(playwright, baseURL, email);
  await signInAt(page, email, "/sessions");
  await hydrated(page);
  await expect(page.getByTestId("session")).toHaveCount(3);

  await page.getByRole("button", { name: "Sign out all other sessions" }).click();
  await expect(page.getByRole("status")).toContainText("Every other session is signed out.");
  await expect(page.getByTestId("session")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Sign out all other sessions" })).toBeDisabled();
  expect((await tablet.get("/api/users/me")).status()).toBe(401);
  expect((await request.get("/api/users/me")).status()).toBe(401);

  await page.reload();
  await expect(page).toHaveURL(/\/sessions$/);
  await expect(page.getByTestId("session")).toHaveCount(1);
});
