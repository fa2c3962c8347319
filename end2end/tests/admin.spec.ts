import { test, expect, hydrated } from "./fixtures";
import { admin, createAccount, signInAt, signedInClient, uniqueEmail, password } from "./helpers";

test("a non-admin gets the Forbidden page, no Admin link, and 403 from the admin API", async ({ page, request }) => {
  const email = await createAccount(request);
  await signInAt(page, email, "/welcome");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sessions" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" })).toHaveCount(0);

  const response = await page.goto("/admin");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Forbidden" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Admin" })).toHaveCount(0);
  expect((await request.get("/api/admin/users")).status()).toBe(403);
  expect((await request.get("/api/admin/audit")).status()).toBe(403);
});

test("a signed-out visit to /admin goes to /login and an admin comes back to it", async ({ page }) => {
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin$/);
  await hydrated(page);
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password", { exact: true }).fill(admin.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole("heading", { name: "Admin" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" })).toBeVisible();
});

/** Signs the admin in on `/admin` and narrows the user list to `email`. */
async function findUser(page: import("@playwright/test").Page, email: string) {
  await signInAt(page, admin.email, "/admin");
  await hydrated(page);
  await page.getByRole("searchbox", { name: "Search users" }).fill(email);
  await page.getByRole("button", { name: "Search" }).click();
  const row = page.locator(`tr[data-email="${email}"]`);
  await expect(row).toBeVisible();
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  return row;
}

test("an admin disables a user, whose next request is refused, then enables them", async ({ page, playwright, baseURL }) => {
  const email = uniqueEmail();
  const user = await playwright.request.newContext({ baseURL });
  expect((await user.post("/api/auth/signup", { data: { email, password, name: "Dana Disable" } })).status()).toBe(201);
  const row = await findUser(page, email);
  await expect(row).toContainText("Active");
  await expect(row.locator("td").nth(4)).toHaveText("1");

  await row.getByRole("button", { name: "Disable Dana Disable" }).click();
  await expect(row).toContainText("Disabled");
  const refused = await user.get("/api/users/me");
  expect(refused.status()).toBe(403);
  expect((await refused.json()).message).toBe("This account is disabled.");
  expect((await user.post("/api/auth/login", { data: { email, password } })).status()).toBe(403);

  await row.getByRole("button", { name: "Enable Dana Disable" }).click();
  await expect(row).toContainText("Active");
  expect((await user.post("/api/auth/login", { data: { email, password } })).status()).toBe(200);
});

test("an admin promotes a user, sees their sessions and ends them all", async ({ page, request, playwright, baseURL }) => {
  const email = await createAccount(request, "Pat Promote");
  const phone = await signedInClient(playwright, baseURL, email);
  const row = await findUser(page, email);

  await row.getByRole("button", { name: "Make admin: Pat Promote" }).click();
  await expect(row).toContainText("Admin");
  expect((await phone.get("/api/admin/users")).status()).toBe(200);

  await row.getByRole("button", { name: "Sessions of Pat Promote" }).click();
  const detail = page.locator("tr.detail");
  await expect(detail.getByTestId("session")).toHaveCount(2);
  await detail.getByRole("button", { name: "End all sessions" }).click();
  await expect(detail).toContainText("Every session of this user is signed out.");
  await expect(detail).toContainText("No live sessions.");
  expect((await phone.get("/api/users/me")).status()).toBe(401);
  expect((await request.get("/api/users/me")).status()).toBe(401);

  await row.getByRole("button", { name: "Remove admin role of Pat Promote" }).click();
  await expect(row.locator("td").nth(3)).toHaveText("User");
});

test("an admin cannot disable or demote themself", async ({ page }) => {
  const row = await findUser(page, admin.email);
  await expect(row.getByRole("button", { name: /^Disable/ })).toBeDisabled();
  await expect(row.getByRole("button", { name: /^Remove admin/ })).toBeDisabled();
  const me = await page.request.get("/api/users/me");
  const { id } = await me.json();
  const response = await page.request.patch(`/api/admin/users/${id}`, { data: { disabled: true } });
  expect(response.status()).toBe(409);
});

test("the audit log shows sign-ins, failures and admin changes with who and from where", async ({ page, request }) => {
  const email = await createAccount(request, "Audra Audit");
  expect((await request.post("/api/auth/login", { data: { email, password: "not the password" } })).status()).toBe(401);
  const row = await findUser(page, email);
  await row.getByRole("button", { name: "Disable Audra Audit" }).click();
  await expect(row).toContainText("Disabled");

  await page.getByRole("tab", { name: "Audit log" }).click();
  const disabled = page.locator(`tr[data-kind="user_disabled"]`).filter({ hasText: email }).first();
  await expect(disabled).toContainText("Account disabled");
  await expect(disabled).toContainText(admin.email);
  await expect(disabled).toContainText("127.0.0.1");
  await expect(page.locator(`tr[data-kind="sign_in_failed"]`).filter({ hasText: email })).toHaveCount(1);
  await expect(page.getByRole("navigation", { name: "events pages" })).toContainText(/Page 1 of \d+/);
});

test("an admin adds, edits and deletes a customer", async ({ page }) => {
  await signInAt(page, admin.email, "/admin");
  await hydrated(page);
  await page.getByRole("tab", { name: "Customers" }).click();
  const name = `E2E Customer ${Date.now()}`;
  const form = page.locator("form.customer-add");
  await form.getByLabel("Name").fill(name);
  // The browser accepts this address; the server wants a dot in the domain.
  await form.getByLabel("Email").fill("buyer@localhost");
  await form.getByLabel("Company").fill("E2E Co");
  await form.getByLabel("Plan").selectOption("team");
  await form.getByRole("button", { name: "Add customer" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "email:" })).toBeVisible();

  await form.getByLabel("Email").fill("buyer@e2e.example");
  await form.getByRole("button", { name: "Add customer" }).click();
  const row = page.getByTestId("customer-row").filter({ hasText: name });
  await expect(row).toContainText("team");

  await row.getByRole("button", { name: `Edit ${name}` }).click();
  const edit = page.locator("form.customer-edit");
  await edit.getByLabel("Plan").selectOption("enterprise");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(row).toContainText("enterprise");
  await expect(edit).toHaveCount(0);

  await row.getByRole("button", { name: `Delete ${name}` }).click();
  await expect(row).toHaveCount(0);
  const customers = await (await page.request.get("/api/customers")).json();
  expect(customers.map((c: { name: string }) => c.name)).not.toContain(name);
});
