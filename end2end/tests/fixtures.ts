import { test as base, expect, type Page } from "@playwright/test";

/** Waits until the WASM bundle has hydrated the server-rendered page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("main#main")).toHaveAttribute("data-hydrated", "true");
}

/** A page that fails the test on any console error or uncaught exception. */
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("console", (msg) => {
        // Chromium reports every 4xx/5xx response as "Failed to load resource"; the app
        // answers 401/404 on purpose, so only real script errors count.
        if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
          errors.push(msg.text());
        }
      });
      page.on("pageerror", (err) => errors.push(String(err)));
      // This machine has no route to Google; tests that need Google's script serve a stand-in.
      await page.route("https://accounts.google.com/**", (route) => route.abort("internetdisconnected"));
      await use(errors);
      expect(errors, "console errors").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
