import { test, expect } from "./fixtures";
import { createAccount, password } from "./helpers";

test("/api/docs renders every operation from this origin only, and Try it out uses the session cookie", async ({ page, request, baseURL }) => {
  const email = await createAccount(request);
  // Sign this browser in (the page's context shares the cookie jar with page.request).
  expect((await page.request.post("/api/auth/login", { data: { email, password } })).status()).toBe(200);

  const foreign: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(baseURL!) && !r.url().startsWith("data:")) foreign.push(r.url());
  });
  const response = await page.goto("/api/docs");
  expect(response?.status()).toBe(200);
  expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");

  await expect(page.locator(".information-container .title")).toContainText("Gatehouse API");
  const operations = page.locator(".opblock");
  await expect(operations.first()).toBeVisible();
  expect(await operations.count()).toBeGreaterThanOrEqual(26);

  const me = page.locator("#operations-users-get_users_me");
  await me.locator(".opblock-summary").click();
  await me.getByRole("button", { name: "Try it out" }).click();
  await me.getByRole("button", { name: "Execute" }).click();
  const live = me.locator(".live-responses-table");
  await expect(live.locator("tr.response .response-col_status")).toContainText("200");
  await expect(live).toContainText(email);

  expect(foreign, "requests to other origins").toEqual([]);
});
