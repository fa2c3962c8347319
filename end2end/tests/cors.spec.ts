import { test, expect } from "./fixtures";
import { createAccount, password } from "./helpers";

// Two more origins on loopback (e2e.sh serves end2end/cors-origin/ on both); the server runs with
// CORS_ALLOWED_ORIGINS naming only the first. The refused fetch is meant to log a CORS error in
// the console (and a failed fetch), which this spec allows.
const allowed = process.env.E2E_CORS_ALLOWED_ORIGIN ?? "http://127.0.0.1:4000";
const refused = process.env.E2E_CORS_OTHER_ORIGIN ?? "http://127.0.0.1:4001";

test.use({ allowedConsole: [/has been blocked by CORS policy/] });

async function callFrom(page: import("@playwright/test").Page, api: string, title: string) {
  return page.evaluate(
    async ({ api, title }) => {
      const outcome: Record<string, unknown> = {};
      try {
        const me = await fetch(`${api}/api/users/me`, { credentials: "include" });
        outcome.me = me.status;
        outcome.email = (await me.json()).email;
      } catch (e) {
        outcome.me = `blocked: ${e}`;
      }
      try {
        const created = await fetch(`${api}/api/todos`, {
          method: "POST",
          credentials: "include",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ title }),
        });
        outcome.create = created.status;
      } catch (e) {
        outcome.create = `blocked: ${e}`;
      }
      return outcome;
    },
    { api, title },
  );
}

test("a page on an allowed origin calls the API with the cookie; another origin is refused", async ({ page, baseURL }) => {
  const email = await createAccount(page.request);
  expect((await page.request.post("/api/auth/login", { data: { email, password } })).status()).toBe(200);

  await page.goto(`${allowed}/`);
  const fromAllowed = await callFrom(page, baseURL!, "from the allowed origin");
  expect(fromAllowed).toEqual({ me: 200, email, create: 201 });

  await page.goto(`${refused}/`);
  const fromOther = await callFrom(page, baseURL!, "from another origin");
  expect(String(fromOther.me)).toContain("blocked");
  expect(String(fromOther.create)).toContain("blocked");

  // The refused origin's POST never took effect: only the allowed origin's todo exists.
  const todos = await (await page.request.get("/api/todos")).json();
  expect(todos.map((t: { title: string }) => t.title)).toEqual(["from the allowed origin"]);
});
