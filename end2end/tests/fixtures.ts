import { test as base, expect, type Page } from "@playwright/test";

/** Waits until the WASM bundle has hydrated the server-rendered page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("main#main")).toHaveAttribute("data-hydrated", "true");
}

/** The kinds of load that make up the app itself: a failure of any of them breaks the page. */
const appResources = new Set(["document", "script", "stylesheet", "font", "image"]);

/** True for the app's own bundle (`/pkg/…`: JS glue, WASM, split chunks, CSS). */
const isBundle = (url: string) => /\/pkg\//.test(new URL(url).pathname);

/**
 * Every test gets this page watcher (it is automatic, and every spec imports `test` from here:
 * playwright.config.ts refuses a spec that imports it from "@playwright/test"). The test fails
 * on an uncaught page error, a console error or warning (Chromium's own advice about the page,
 * such as a password form without a username field, included), a script, stylesheet or bundle
 * file that fails to load or answers 4xx/5xx. A spec that provokes a console message on purpose
 * names it with `test.use({ allowedConsole: [/…/] })`.
 */
export const test = base.extend<{ allowedConsole: RegExp[]; pageProblems: string[] }>({
  allowedConsole: [[], { option: true }],
  pageProblems: [
    async ({ context, page, allowedConsole, javaScriptEnabled }, use) => {
      const problems: string[] = [];
      // With JavaScript off, Chromium refuses every script load (as "csp"): that is the point.
      const scripts = javaScriptEnabled !== false;
      watch(page, problems, allowedConsole, scripts);
      // Pages the test opens besides `page` (a second tab) are watched as well.
      context.on("page", (other) => other !== page && watch(other, problems, allowedConsole, scripts));
      // This machine has no route to Google; tests that need Google's script serve a stand-in.
      await context.route("https://accounts.google.com/**", (route) => route.abort("internetdisconnected"));
      await use(problems);
      expect(problems, "page errors, console errors or warnings, failed loads").toEqual([]);
    },
    { auto: true },
  ],
});

/** Watches `page` as the automatic fixture does: for pages of a context the test made itself. */
export function watch(page: Page, problems: string[], allowedConsole: RegExp[] = [], scripts = true) {
  const allowed = (text: string) => allowedConsole.some((pattern) => pattern.test(text));
  page.on("console", (msg) => {
    const text = msg.text();
    // Chromium reports every 4xx/5xx response as "Failed to load resource"; the app answers
    // 401/404 on purpose. Failed loads of the app's own files are caught below.
    if (text.startsWith("Failed to load resource") || allowed(text)) return;
    const kind = msg.type() as string;
    if (kind === "error" || kind === "warning" || (kind === "verbose" && text.startsWith("[DOM]"))) {
      problems.push(`console ${kind} on ${page.url()}: ${text}`);
    }
  });
  page.on("pageerror", (err) => problems.push(`uncaught on ${page.url()}: ${String(err)}`));
  page.on("requestfailed", (request) => {
    const url = request.url();
    const failure = request.failure()?.errorText ?? "";
    // A navigation cancels the loads of the page it leaves (and the Google stand-in aborts
    // Google's script): neither is a failure of the app.
    if (failure === "net::ERR_ABORTED" || url.startsWith("https://accounts.google.com/")) return;
    if (!scripts && request.resourceType() === "script") return;
    if (appResources.has(request.resourceType()) || isBundle(url)) {
      problems.push(`failed to load ${request.resourceType()} ${url}: ${failure}`);
    }
  });
  page.on("response", (response) => {
    const kind = response.request().resourceType();
    if (response.status() >= 400 && (kind === "script" || kind === "stylesheet" || isBundle(response.url()))) {
      problems.push(`${kind} ${response.url()} answered ${response.status()}`);
    }
  });
}

export { expect };
