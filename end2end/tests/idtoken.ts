import { createHmac, createSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

// The server verifies these tokens for real, against the JWKS that e2e.sh serves locally.
export const CLIENT_ID = "e2e-client.apps.googleusercontent.com";
export const KEY = readFileSync(join(__dirname, "..", "..", "tests", "fixtures", "google_test_key.pem"));

export const OTHER_KEY = readFileSync(join(__dirname, "..", "..", "tests", "fixtures", "google_test_key_2.pem"));
const JWKS = readFileSync(join(__dirname, "..", "..", "tests", "fixtures", "google_jwks_1.json"));

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An RS256 token; `kid` and `key` may be changed to forge one. */
export function signIdToken(claims: Record<string, unknown>, kid = "test-key-1", key: Buffer = KEY): string {
  const unsigned = `${b64({ alg: "RS256", kid, typ: "JWT" })}.${b64(claims)}`;
  const signature = createSign("RSA-SHA256").update(unsigned).sign(key).toString("base64url");
  return `${unsigned}.${signature}`;
}

/** HS256 "signed" with the public JWKS: the classic algorithm-confusion forgery. */
export function signWithPublicKeyAsHmac(claims: Record<string, unknown>): string {
  const unsigned = `${b64({ alg: "HS256", kid: "test-key-1", typ: "JWT" })}.${b64(claims)}`;
  return `${unsigned}.${createHmac("sha256", JWKS).update(unsigned).digest("base64url")}`;
}

/** `alg: none`, no signature. */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${b64({ alg: "none", kid: "test-key-1" })}.${b64(claims)}.`;
}

/** The claims of a valid token for `email`, bound to `nonce`. */
export function claims(email: string, nonce: string, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: "https://accounts.google.com",
    aud: CLIENT_ID,
    sub: `google-${email}`,
    email,
    email_verified: true,
    name: "Gina Google",
    nonce,
    iat: now,
    exp: now + 3600,
    ...overrides,
  };
}

