// Time to an interactive /login in headless Chromium: from navigation start until the WASM has
// hydrated the page (main[data-hydrated=true]). Five cold loads (a fresh browser context each,
// so nothing is cached), median and worst. Run from end2end/ (its node_modules has Playwright).
import { createRequire } from "node:module";

// Resolved from the working directory (end2end/), where the Playwright package is installed.
const { chromium } = createRequire(`${process.cwd()}/`)("@playwright/test");

const url = process.argv[2];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const times = [];
for (let i = 0; i < 5; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForSelector('main[data-hydrated="true"]');
  const ms = await page.evaluate(() => performance.now());
  times.push(ms);
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(`frontend.tti_median_ms ${times[2].toFixed(0)}`);
console.log(`frontend.tti_max_ms ${times[4].toFixed(0)}`);
