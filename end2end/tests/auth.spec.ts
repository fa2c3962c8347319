import { test, expect, hydrated } from "./fixtures";
import { createAccount, password, signInThroughForm } from "./helpers";

test("a signed-out visit to /todos lands on /login?next=%2Ftodos and signing in returns there", async ({ page, request }) => {
  const email = await createAccount(request);

  await page.goto("/todos");
  await expect(page).toHaveURL(/\/login\?next=%2Ftodos$/);
  await hydrated(page);
  await signInThroughForm(page, email);

  await expect(page).toHaveURL(/\/todos$/);
  await expect(page.getByRole("heading", { name: "Todos" })).toBeVisible();
  await expect(page.getByTestId("signed-in-as")).toContainText("E2E User");
});

test("an unsafe next sends the user to /welcome", async ({ page, request }) => {
  const email = await createAccount(request);
  await page.goto("/login?next=%2F%2Fevil.example%2Fsteal");
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page).toHaveURL(/\/welcome$/);
});

test("wrong credentials show an announced error and keep the user on /login", async ({ page, request }) => {
  const email = await createAccount(request);
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("not the password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Incorrect email or password." })).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
});

test("signing up through the form signs in and shows field errors first", async ({ page }) => {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Name").fill("New Person");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("must be an email address")).toBeVisible();

  await page.getByLabel("Email").fill(`signup-${Date.now()}@example.com`);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/welcome$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Welcome, New Person");
});

test("five client-side navigations between private pages within 20 s make at most one /api/users/me call", async ({ page, request }) => {
  const email = await createAccount(request);
  await page.goto("/login?next=%2Fwelcome");
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page).toHaveURL(/\/welcome$/);

  let checks = 0;
  page.on("request", (req) => {
    if (new URL(req.url()).pathname === "/api/users/me") checks += 1;
  });
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const [link, heading] of [
    ["Todos", "Todos"],
    ["Profile", "Profile"],
    ["Todos", "Todos"],
    ["Profile", "Profile"],
    ["Todos", "Todos"],
  ]) {
    await nav.getByRole("link", { name: link }).click();
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
  }
  expect(checks).toBeLessThanOrEqual(1);
});

test("a session revoked on the server sends the next API call to /login", async ({ page, playwright, baseURL }) => {
  const other = await playwright.request.newContext({ baseURL });
  const email = await createAccount(other);
  await page.goto("/login?next=%2Ftodos");
  await hydrated(page);
  await signInThroughForm(page, email);
  await expect(page.getByRole("heading", { name: "Todos" })).toBeVisible();

  // Changing the password elsewhere ends every other session, this browser's included.
  const change = await other.post("/api/users/me/password", {
    data: { current_password: password, new_password: "another long passphrase" },
  });
  expect(change.status()).toBe(204);

  await page.getByLabel("New todo").fill("after revocation");
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Ftodos$/);
});

test("after signing out, the back button shows no private data", async ({ page, request }) => {
  const email = await createAccount(request);
  await page.goto("/login?next=%2Ftodos");
  await hydrated(page);
  await signInThroughForm(page, email);
  await page.getByLabel("New todo").fill("secret plan");
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByText("secret plan")).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goBack();

  await expect(page.getByText("secret plan")).toHaveCount(0);
  await expect(page).toHaveURL(/\/login/);
});

test("signing out in one tab signs out the other within a second", async ({ context, request }) => {
  const email = await createAccount(request);
  const first = await context.newPage();
  await first.goto("/login?next=%2Ftodos");
  await hydrated(first);
  await signInThroughForm(first, email);
  await expect(first.getByRole("heading", { name: "Todos" })).toBeVisible();
  const second = await context.newPage();
  await second.goto("/profile");
  await hydrated(second);
  await expect(second.getByRole("heading", { name: "Profile" })).toBeVisible();

  await first.getByRole("button", { name: "Sign out" }).click();

  await expect(second).toHaveURL(/\/login\?next=%2Fprofile$/, { timeout: 1_000 });
});

test.describe("without JavaScript", () => {
  // With JavaScript off, the WASM the page preloads is never used, and Chromium may say so.
  test.use({ javaScriptEnabled: false, allowedConsole: [/was preloaded using link preload but not used/] });

  test("the login form signs in and returns to next", async ({ page, request }) => {
    const email = await createAccount(request);
    await page.goto("/todos");
    await expect(page).toHaveURL(/\/login\?next=%2Ftodos$/);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill("wrong password here");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByText("Incorrect email or password.")).toBeVisible();
    // The failure came back as a code: nothing typed is in the address or the form.
    await expect(page).toHaveURL(/\/login\?error=credentials&next=%2Ftodos$/);
    await expect(page.getByLabel("Email")).toHaveValue("");

    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page).toHaveURL(/\/todos$/);
    await expect(page.getByRole("heading", { name: "Todos" })).toBeVisible();
  });
});

test("signing in in one tab updates the other", async ({ context, request }) => {
  const email = await createAccount(request);
  const idle = await context.newPage();
  await idle.goto("/");
  await hydrated(idle);
  await expect(idle.getByRole("link", { name: "Sign in" })).toBeVisible();

  const active = await context.newPage();
  await active.goto("/login");
  await hydrated(active);
  await signInThroughForm(active, email);
  await expect(active).toHaveURL(/\/welcome$/);

  await expect(idle.getByTestId("signed-in-as")).toContainText("E2E User", { timeout: 1_000 });
});
