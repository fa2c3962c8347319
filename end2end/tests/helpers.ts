import { expect, type APIRequestContext, type Page } from "@playwright/test";

export const password = "correct horse battery";

export const uniqueEmail = () =>
  `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;

/** Creates an account through the API (its own cookie jar) and returns the email. */
export async function createAccount(request: APIRequestContext, name = "E2E User"): Promise<string> {
  const email = uniqueEmail();
  const response = await request.post("/api/auth/signup", { data: { email, password, name } });
  expect(response.status()).toBe(201);
  return email;
}

/** Signs in through the login form of a hydrated page. */
export async function signInThroughForm(page: Page, email: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** The administrator e2e.sh creates with the release binary's `user create --admin`. */
export const admin = {
  email: process.env.E2E_ADMIN_EMAIL ?? "e2e-admin@example.com",
  password,
};

/** A separate API client (its own cookie jar, like another device) signed in as `email`. */
export async function signedInClient(
  playwright: { request: { newContext: (options: object) => Promise<APIRequestContext> } },
  baseURL: string | undefined,
  email: string,
  userAgent?: string,
): Promise<APIRequestContext> {
  const client = await playwright.request.newContext({
    baseURL,
    extraHTTPHeaders: userAgent ? { "user-agent": userAgent } : {},
  });
  const response = await client.post("/api/auth/login", { data: { email, password } });
  expect(response.status()).toBe(200);
  return client;
}

/** Signs in through the form on /login and waits for `next`. */
export async function signInAt(page: Page, email: string, next: string) {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await expect(page.locator("main#main")).toHaveAttribute("data-hydrated", "true");
  await signInThroughForm(page, email);
  await expect(page).toHaveURL(new RegExp(`${next.replace(/[/?]/g, "\\$&")}$`));
}
