// Front-end figures for bench/run.sh, run from end2end/ (its node_modules has Playwright):
// - what a first load of /login downloads from /pkg (the page's own wasm, js and css, whatever
//   the build split them into), fetched again raw with brotli and with gzip to read the bytes on
//   the wire and check that the precompressed file comes with the right Content-Encoding;
// - time to an interactive /login in headless Chromium: navigation start until the WASM has
//   hydrated the page (main[data-hydrated=true]); five cold loads, median and worst.
// Prints KEY VALUE lines.
import { createRequire } from "node:module";
import http from "node:http";

const { chromium } = createRequire(`${process.cwd()}/`)("@playwright/test");
const url = process.argv[2];
const origin = new URL(url).origin;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const times = [];
let assets = [];
for (let i = 0; i < 5; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.origin === origin && u.pathname.startsWith("/pkg/")) seen.push(u.pathname);
  });
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForSelector('main[data-hydrated="true"]');
  times.push(await page.evaluate(() => performance.now()));
  await page.waitForLoadState("networkidle");
  if (i === 0) assets = [...new Set(seen)];
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);

function raw(path, encoding) {
  return new Promise((resolve, reject) => {
    http
      .get(`${origin}${path}`, { headers: { "accept-encoding": encoding } }, (res) => {
        let bytes = 0;
        res.on("data", (chunk) => (bytes += chunk.length));
        res.on("end", () => resolve({ bytes, encoding: res.headers["content-encoding"] ?? "identity" }));
      })
      .on("error", reject);
  });
}

const totals = { raw: 0, br: 0, gzip: 0 };
const byKind = {};
let encodingsOk = true;
for (const path of assets) {
  const kind = path.split(".").pop();
  const plain = await raw(path, "identity");
  const br = await raw(path, "br");
  const gzip = await raw(path, "gzip");
  encodingsOk &&= br.encoding === "br" && gzip.encoding === "gzip";
  byKind[kind] ??= { raw: 0, br: 0, gzip: 0, files: 0 };
  byKind[kind].raw += plain.bytes;
  byKind[kind].br += br.bytes;
  byKind[kind].gzip += gzip.bytes;
  byKind[kind].files += 1;
  totals.raw += plain.bytes;
  totals.br += br.bytes;
  totals.gzip += gzip.bytes;
}
for (const [kind, t] of Object.entries(byKind)) {
  console.log(`frontend.${kind}.files ${t.files}`);
  console.log(`frontend.${kind}.raw_bytes ${t.raw}`);
  console.log(`frontend.${kind}.br_bytes ${t.br}`);
  console.log(`frontend.${kind}.gzip_bytes ${t.gzip}`);
}
console.log(`frontend.total_raw_bytes ${totals.raw}`);
console.log(`frontend.total_br_bytes ${totals.br}`);
console.log(`frontend.total_gzip_bytes ${totals.gzip}`);
console.log(`frontend.encodings_ok ${encodingsOk ? 1 : 0}`);
console.log(`frontend.tti_median_ms ${times[2].toFixed(0)}`);
console.log(`frontend.tti_max_ms ${times[4].toFixed(0)}`);
