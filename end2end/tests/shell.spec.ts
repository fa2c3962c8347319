import { test, expect, hydrated } from "./fixtures";

test.describe("on a narrow screen", () => {
  // The menu button shows only below 640 px.
  test.use({ viewport: { width: 400, height: 800 } });

  test("the home page hydrates: the menu button works only once the WASM runs", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Gatehouse");
  await hydrated(page);

  const menu = page.getByRole("button", { name: "Menu" });
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await menu.click();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  });
});

test("an unknown path shows the not-found page with status 404", async ({ page }) => {
  const response = await page.goto("/definitely/not/here");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await hydrated(page);
});

test("client-side navigation to an unknown route renders the not-found page", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  await page.evaluate(() => {
    const link = document.createElement("a");
    link.href = "/nowhere";
    link.textContent = "nowhere";
    document.body.appendChild(link);
    link.click();
  });
  await expect(page).toHaveURL(/\/nowhere$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
});
