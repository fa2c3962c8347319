import { test, expect, hydrated } from "./fixtures";
import { createAccount, signInThroughForm } from "./helpers";

test("todos can be added, toggled, renamed and deleted, and survive a reload", async ({ page, request }) => {
  const email = await createAccount(request);
  await page.goto("/login?next=%2Ftodos");
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page.getByText("Nothing to do")).toBeVisible();

  await page.getByLabel("New todo").fill("write tests");
  await page.getByRole("button", { name: "Add" }).click();
  const item = page.locator("li.todo").filter({ hasText: "write tests" });
  await expect(item).toBeVisible();
  await expect(item).not.toHaveClass(/pending/);

  await item.getByRole("checkbox").check();
  await expect(page.locator("li.todo.done")).toHaveCount(1);

  await page.locator("li.todo").getByRole("button", { name: "Rename" }).click();
  await page.getByLabel("New title").fill("write more tests");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("li.todo").filter({ hasText: "write more tests" })).toBeVisible();

  await page.reload();
  await hydrated(page);
  const saved = page.locator("li.todo").filter({ hasText: "write more tests" });
  await expect(saved).toHaveClass(/done/);

  await saved.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByText("Nothing to do")).toBeVisible();
  await page.reload();
  await expect(page.getByText("Nothing to do")).toBeVisible();
});

test("a refused change is rolled back with a message", async ({ page, request }) => {
  const email = await createAccount(request);
  await page.goto("/login?next=%2Ftodos");
  await hydrated(page);
  await signInThroughForm(page, email);
  await page.getByLabel("New todo").fill("keep me");
  await page.getByRole("button", { name: "Add" }).click();
  const item = page.locator("li.todo").filter({ hasText: "keep me" });
  await expect(item).not.toHaveClass(/pending/);

  await page.route("**/api/fn/delete_todo", (route) =>
    route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ error: "unavailable", message: "The database is unavailable right now." }) }),
  );
  await item.getByRole("button", { name: "Delete" }).click();

  await expect(page.getByRole("alert").filter({ hasText: "The database is unavailable" })).toBeVisible();
  await expect(page.locator("li.todo").filter({ hasText: "keep me" })).toBeVisible();
});

test("a full load of /todos arrives with the list, and hydration asks for it no more", async ({ page, request }) => {
  const email = await createAccount(request);
  await page.goto("/login?next=%2Fwelcome");
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page).toHaveURL(/\/welcome$/);
  expect((await page.request.post("/api/todos", { data: { title: "rendered on the server" } })).status()).toBe(201);

  const asked: string[] = [];
  page.on("request", (req) => {
    const path = new URL(req.url()).pathname;
    if (path.startsWith("/api/")) asked.push(`${req.method()} ${path}`);
  });
  const response = await page.goto("/todos");
  // The first HTML already holds the todo.
  expect(await response!.text()).toContain("rendered on the server");
  await hydrated(page);
  await expect(page.locator("li.todo").filter({ hasText: "rendered on the server" })).toBeVisible();
  // Hydration reuses the list shipped in the page: give a stray request time to show.
  await page.waitForTimeout(750);
  expect(asked).toEqual([]);

  // A navigation inside the app does load it, through its server function.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Profile" })).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Todos" }).click();
  await expect(page.locator("li.todo").filter({ hasText: "rendered on the server" })).toBeVisible();
  expect(asked).toContain("POST /api/fn/list_todos");
});

test.describe("with JavaScript off", () => {
  // With JavaScript off, the WASM the page preloads is never used, and Chromium says so.
  test.use({ javaScriptEnabled: false, allowedConsole: [/was preloaded using link preload but not used/] });

  test("todos are added, ticked and deleted through plain form posts", async ({ page, request }) => {
    const email = await createAccount(request);
    await page.goto("/login?next=%2Ftodos");
    await signInThroughForm(page, email);
    await expect(page).toHaveURL(/\/todos$/);
    await expect(page.getByText("Nothing to do")).toBeVisible();

    await page.getByLabel("New todo").fill("works without wasm");
    await page.getByRole("button", { name: "Add" }).click();
    // Back on the page the form was on.
    await expect(page).toHaveURL(/\/todos$/);
    const item = page.locator("li.todo").filter({ hasText: "works without wasm" });
    await expect(item).toBeVisible();
    await expect(item).not.toHaveClass(/done/);

    await item.getByRole("checkbox", { name: "Done: works without wasm" }).click();
    await expect(page).toHaveURL(/\/todos$/);
    await expect(page.locator("li.todo.done").filter({ hasText: "works without wasm" })).toBeVisible();
    await expect(page.getByRole("checkbox", { name: "Done: works without wasm" })).toHaveAttribute("aria-checked", "true");

    await page.locator("li.todo").filter({ hasText: "works without wasm" }).getByRole("button", { name: "Delete" }).click();
    await expect(page.getByText("Nothing to do")).toBeVisible();
    const left = await (await page.request.get("/api/todos")).json();
    expect(left).toEqual([]);
  });
});
