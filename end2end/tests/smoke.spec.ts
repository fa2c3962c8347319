import { test, expect, hydrated, watch } from "./fixtures";
import { admin, password, signInAt, uniqueEmail } from "./helpers";

// The smoke pass: what a new user does first, on every build the suite serves (the release
// pass, and end2end/dev.sh's pass against the development build `cargo leptos watch` makes).
// dev.sh also runs the restart pair below around a real restart of the server process.

const main = (page: import("@playwright/test").Page) => page.getByRole("navigation", { name: "Main" });

test("@smoke sign up, see every private page with its data, add a todo, sign out", async ({ page, browser, baseURL, pageProblems }) => {
  test.slow(process.env.E2E_DEV_BUILD === "1", "the development build's WASM is unoptimised");
  const email = uniqueEmail();
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Name").fill("Smoke Tester");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/welcome$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Welcome, Smoke Tester");

  // In the browser, from page to page: each private page's code and data load on demand.
  await main(page).getByRole("link", { name: "Todos" }).click();
  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByText("Nothing to do")).toBeVisible();
  await page.getByLabel("New todo").fill("smoke todo");
  await page.getByRole("button", { name: "Add" }).click();
  const todo = page.locator("li.todo").filter({ hasText: "smoke todo" });
  await expect(todo).toBeVisible();
  await expect(todo).not.toHaveClass(/pending/);

  await main(page).getByRole("link", { name: "Profile" }).click();
  await expect(page.getByLabel("Name")).toHaveValue("Smoke Tester");
  await main(page).getByRole("link", { name: "Sessions" }).click();
  await expect(page.getByTestId("session").filter({ hasText: "This device" })).toHaveCount(1);
  await main(page).getByRole("link", { name: "Customers" }).click();
  await expect(page.locator("table.data tbody tr").first()).toContainText("Ada Lovelace");

  // And as a first load of each page: rendered on the server, then hydrated.
  for (const [path, data] of [
    ["/todos", page.locator("li.todo").filter({ hasText: "smoke todo" })],
    ["/profile", page.getByLabel("Name")],
    ["/sessions", page.getByTestId("session").filter({ hasText: "This device" })],
    ["/customers", page.locator("table.data tbody tr").filter({ hasText: "Ada Lovelace" })],
  ] as const) {
    await page.goto(path);
    await hydrated(page);
    await expect(data, path).toBeVisible();
  }

  // The admin console, in a browser of the administrator's own.
  const adminContext = await browser.newContext({ baseURL });
  const adminPage = await adminContext.newPage();
  watch(adminPage, pageProblems);
  await signInAt(adminPage, admin.email, "/admin");
  await hydrated(adminPage);
  await expect(adminPage.getByRole("heading", { name: "Admin" })).toBeVisible();
  await adminPage.getByRole("searchbox", { name: "Search users" }).fill(email);
  await adminPage.getByRole("button", { name: "Search" }).click();
  await expect(adminPage.locator(`tr[data-email="${email}"]`)).toContainText("Smoke Tester");
  await adminContext.close();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/todos");
  await expect(page).toHaveURL(/\/login\?next=%2Ftodos$/);
});

// The restart pair: E2E_RESTART_PHASE=before signs in and keeps the browser's cookies in
// E2E_RESTART_STATE; dev.sh then stops the server and starts it again; E2E_RESTART_PHASE=after
// comes back with those cookies and is still signed in, its todo still there.
const phase = process.env.E2E_RESTART_PHASE;
const state = process.env.E2E_RESTART_STATE ?? "";

test.describe("across a server restart", () => {
  test.use({ storageState: phase === "after" ? state : undefined });

  test("@restart before: sign in and add a todo", async ({ page, request }) => {
    test.skip(phase !== "before", "run by end2end/dev.sh around a restart");
    const email = uniqueEmail();
    expect((await request.post("/api/auth/signup", { data: { email, password, name: "Restart" } })).status()).toBe(201);
    await signInAt(page, email, "/todos");
    await hydrated(page);
    await page.getByLabel("New todo").fill("kept across the restart");
    await page.getByRole("button", { name: "Add" }).click();
    await expect(page.locator("li.todo").filter({ hasText: "kept across the restart" })).not.toHaveClass(/pending/);
    await page.context().storageState({ path: state });
  });

  test("@restart after: still signed in, the todo still there", async ({ page }) => {
    test.skip(phase !== "after", "run by end2end/dev.sh around a restart");
    await page.goto("/todos");
    await expect(page).toHaveURL(/\/todos$/);
    await hydrated(page);
    await expect(page.locator("li.todo").filter({ hasText: "kept across the restart" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  });
});
