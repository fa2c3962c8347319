import { test, expect } from "./fixtures";
import type { APIRequestContext } from "@playwright/test";
import { password, uniqueEmail } from "./helpers";
import { OTHER_KEY, claims, signIdToken, signWithPublicKeyAsHmac, unsignedToken } from "./idtoken";

// Every failure row of POST /api/auth/google against the release build and the local JWKS.

async function nonceFor(request: APIRequestContext): Promise<string> {
  const response = await request.get("/api/auth/google/nonce");
  expect(response.status()).toBe(200);
  return (await response.json()).nonce;
}

const post = (request: APIRequestContext, credential: string) =>
  request.post("/api/auth/google", { data: { credential } });

test("every invalid token gets 401 and no session", async ({ playwright, baseURL }) => {
  const now = Math.floor(Date.now() / 1000);
  const forgeries: [string, (nonce: string) => string][] = [
    ["bad signature", (n) => signIdToken(claims(uniqueEmail(), n), "test-key-1", OTHER_KEY)],
    ["HS256 with the public key", (n) => signWithPublicKeyAsHmac(claims(uniqueEmail(), n))],
    ["alg none", (n) => unsignedToken(claims(uniqueEmail(), n))],
    ["unknown kid", (n) => signIdToken(claims(uniqueEmail(), n), "no-such-key")],
    ["wrong aud", (n) => signIdToken(claims(uniqueEmail(), n, { aud: "another-client" }))],
    ["wrong iss", (n) => signIdToken(claims(uniqueEmail(), n, { iss: "https://evil.example" }))],
    ["expired", (n) => signIdToken(claims(uniqueEmail(), n, { exp: now - 600 }))],
    ["iat in the future", (n) => signIdToken(claims(uniqueEmail(), n, { iat: now + 600 }))],
    ["wrong nonce", () => signIdToken(claims(uniqueEmail(), "not-the-nonce"))],
  ];
  for (const [name, forge] of forgeries) {
    const request = await playwright.request.newContext({ baseURL });
    const response = await post(request, forge(await nonceFor(request)));
    expect(response.status(), name).toBe(401);
    expect((await request.get("/api/users/me")).status(), name).toBe(401);
  }

  const noNonce = await playwright.request.newContext({ baseURL });
  expect((await post(noNonce, signIdToken(claims(uniqueEmail(), "never-issued")))).status()).toBe(401);
});

test("a token works once: replaying it is refused", async ({ playwright, baseURL }) => {
  const request = await playwright.request.newContext({ baseURL });
  const token = signIdToken(claims(uniqueEmail(), await nonceFor(request)));
  const first = await post(request, token);
  expect(first.status()).toBe(200);
  expect((await first.json()).has_google).toBe(true);
  expect((await post(request, token)).status()).toBe(401);
});

test("an unverified Google email never links to a password account", async ({ playwright, baseURL }) => {
  const request = await playwright.request.newContext({ baseURL });
  const email = uniqueEmail();
  expect((await request.post("/api/auth/signup", { data: { email, password, name: "P" } })).status()).toBe(201);
  const google = await playwright.request.newContext({ baseURL });

  const unverified = await post(google, signIdToken(claims(email, await nonceFor(google), { email_verified: false })));
  expect(unverified.status()).toBe(401);
  const verified = await post(google, signIdToken(claims(email, await nonceFor(google))));
  expect(verified.status()).toBe(200);
  const user = await verified.json();
  // The password account never proved its address, so Google's verified owner takes it over and
  // its password goes (SECURITY G8: someone may have signed up with the address first).
  expect([user.has_password, user.has_google]).toEqual([false, true]);
});
