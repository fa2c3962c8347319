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
  await page.getByRole("button", { name: "Sign in" }).click();
}
