import { test, expect, hydrated } from "./fixtures";
import { createAccount, signInThroughForm } from "./helpers";

test("customers load into a table that sorts by any column", async ({ page, request }) => {
  const email = await createAccount(request);
  await page.goto("/customers");
  await expect(page).toHaveURL(/\/login\?next=%2Fcustomers$/);
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page).toHaveURL(/\/customers$/);

  const rows = page.locator("table.data tbody tr");
  await expect(rows.first()).toContainText("Ada Lovelace");
  expect(await rows.count()).toBeGreaterThanOrEqual(8);

  const name = page.getByRole("columnheader", { name: "Name" });
  await expect(name).toHaveAttribute("aria-sort", "ascending");
  await name.getByRole("button").click();
  await expect(name).toHaveAttribute("aria-sort", "descending");
  await expect(rows.first()).toContainText("Margaret Hamilton");

  await page.getByRole("columnheader", { name: "Company" }).getByRole("button").click();
  await expect(rows.first()).toContainText("Abstractions LLC");
});

test("a slow customer list shows a loading skeleton first", async ({ page, request }) => {
  const email = await createAccount(request);
  await page.goto("/login?next=%2Fwelcome");
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page).toHaveURL(/\/welcome$/);

  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/fn/list_customers", async (route) => {
    await gate;
    await route.continue();
  });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Customers" }).click();
  await expect(page.locator("table.skeleton[aria-busy=true]")).toBeVisible();
  release();
  await expect(page.locator("table.data tbody tr").first()).toContainText("Ada Lovelace");
});

test("a network failure shows a retry message, and retry recovers", async ({ page, request }) => {
  const email = await createAccount(request);
  await page.goto("/login?next=%2Fwelcome");
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page).toHaveURL(/\/welcome$/);

  await page.route("**/api/fn/list_customers", (route) => route.abort("internetdisconnected"));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Customers" }).click();
  await expect(page.getByRole("alert")).toContainText("Cannot reach the server");

  await page.unroute("**/api/fn/list_customers");
  await page.getByRole("button", { name: "Retry" }).click();
  await expect(page.locator("table.data tbody tr").first()).toContainText("Ada Lovelace");
});
