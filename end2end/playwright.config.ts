import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig, devices } from "@playwright/test";

// Every spec takes `test` from ./fixtures, whose automatic fixture fails a test on page errors,
// console errors and warnings, and failed loads: a spec that imported Playwright's own `test`
// would silently go without, so the suite refuses to start.
const testDir = join(__dirname, "tests");
for (const file of readdirSync(testDir).filter((name) => name.endsWith(".spec.ts"))) {
  const source = readFileSync(join(testDir, file), "utf8");
  if (/import\s*\{[^}]*\btest\b[^}]*\}\s*from\s*["']@playwright\/test["']/.test(source)) {
    throw new Error(`${file} imports test from "@playwright/test"; import it from "./fixtures"`);
  }
}

// Chromium comes from Debian (the machine cannot download Playwright's own browser build).
// Without the background-networking flags it keeps trying to reach Google's services.
export default defineConfig({
  testDir,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  retries: 1,
  workers: 2,
  reporter: [["list"]],
  use: {
    baseURL: process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000",
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
          ],
        },
      },
    },
  ],
});
