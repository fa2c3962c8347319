import { createHmac } from "node:crypto";

/** RFC 4648 base32, as authenticator apps read the secret. */
function base32(secret: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of secret.replace(/=+$/, "").toUpperCase()) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${secret}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The 30-second step of `ms` (a Date.now()). */
export const stepOf = (ms: number) => Math.floor(ms / 1000 / 30);

/** RFC 6238 (HMAC-SHA-1, 6 digits), computed here as an authenticator app would. */
export function totp(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const binary =
    ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 1_000_000).padStart(6, "0");
}

/**
 * A code of a step none of `used` came from: the server takes each step's code once, so a test
 * that needs another code waits for the next step (at most 30 seconds). Records the step.
 */
export async function freshCode(secret: string, used: Set<number>): Promise<string> {
  for (;;) {
    const step = stepOf(Date.now());
    if (!used.has(step)) {
      used.add(step);
      return totp(secret, step);
    }
    // The condition is the clock itself: the next step starts at a known time.
    await new Promise((resolve) => setTimeout(resolve, (step + 1) * 30_000 - Date.now() + 50));
  }
}
