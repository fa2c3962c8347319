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

  await page.route("**/api/todos/*", (route) =>
    route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ error: "unavailable", message: "The database is unavailable right now." }) }),
  );
  await item.getByRole("button", { name: "Delete" }).click();

  await expect(page.getByRole("alert").filter({ hasText: "The database is unavailable" })).toBeVisible();
  await expect(page.locator("li.todo").filter({ hasText: "keep me" })).toBeVisible();
});
