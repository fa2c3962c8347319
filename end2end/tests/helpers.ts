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

// Mail: e2e.sh starts maildev (SMTP 1025, HTTP API 1080) and points the app's smtp_url at it;
// these read what the app sent from maildev's API. Only the specs e2e.sh runs use them (the
// dev.sh smoke pass starts no maildev).
const maildev = process.env.E2E_MAILDEV_URL ?? "http://127.0.0.1:1080";

export interface Mail {
  subject: string;
  text: string;
  html: string;
  to: { address: string }[];
}

/** Waits for the newest mail to `address` that `matches`, and returns it. */
async function newestMailTo(
  request: APIRequestContext,
  address: string,
  matches: (mail: Mail) => boolean,
  what: string,
): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      async () => {
        const mails: Mail[] = await (await request.get(`${maildev}/email`)).json();
        // maildev lists its mails oldest first.
        found = mails.filter((m) => m.to.some((t) => t.address === address) && matches(m)).pop();
        return found !== undefined;
      },
      { timeout: 20_000, message: `${what} to ${address}` },
    )
    .toBe(true);
  return found!;
}

/** Waits for the mail to `address` with `subject`, and returns it. */
export async function mailTo(request: APIRequestContext, address: string, subject: string): Promise<Mail> {
  return newestMailTo(request, address, (mail) => mail.subject === subject, `a mail "${subject}"`);
}

/** The link to `path` in a mail's text part. */
export function linkIn(mail: Mail, path: string): string {
  const link = mail.text.split(/\s+/).find((word) => word.includes(`${path}?token=`));
  expect(link, mail.text).toBeTruthy();
  expect(mail.html).toContain(link!);
  return link!;
}

/**
 * Verifies `email` as its owner would: takes the token from the newest verification link mailed
 * to it and posts it to `/api/auth/verify-email`. The server adds no passkey and turns no second
 * factor on for an unverified address; a page showing the account reads the change on its next
 * load.
 */
export async function verifyEmail(request: APIRequestContext, email: string): Promise<void> {
  const mail = await newestMailTo(
    request,
    email,
    (m) => m.text.includes("/verify-email?token="),
    "a verification link",
  );
  const token = new URL(linkIn(mail, "/verify-email"), "http://link.invalid").searchParams.get("token");
  expect(token, mail.text).toBeTruthy();
  const response = await request.post("/api/auth/verify-email", { data: { token } });
  expect(response.status(), await response.text()).toBe(200);
}
