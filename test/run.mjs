// npm test: serves the test bundle on 127.0.0.1, opens it in headless Chromium
// with WebGPU (Playwright), runs every test in the page and prints one line per
// test and a closing "N passed, N failed". Exit code 1 on any failure.
//   node test/run.mjs [--grep text]
// The bundle is built into a fresh temporary folder, so runs never share files.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPage } from "../scripts/bundle.mjs";
import { serve } from "../scripts/serve.mjs";
import { launchChromium } from "../scripts/chromium.mjs";

const args = process.argv.slice(2);
const grepAt = args.indexOf("--grep");
const filter = grepAt >= 0 ? args[grepAt + 1] ?? "" : "";

const dir = mkdtempSync(join(tmpdir(), "engine-test-"));
await buildPage("test/browser.ts", dir, "engine tests");
const { server, url } = await serve(dir);
let browser;
let passed = 0;
let failed = 0;
try {
  browser = await launchChromium();
  const page = await browser.newPage();
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  page.on("console", (msg) => {
    console.error(`[page ${msg.type()}] ${msg.text()}`);
  });
  await page.exposeFunction("__report", (r) => {
    if (r.ok) passed++;
    else failed++;
    const ms = `${Math.round(r.ms)} ms`;
    console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name} (${ms})`);
    if (!r.ok) console.log(`     ${r.error.split("\n").slice(0, 8).join("\n     ")}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => typeof window.__runTests === "function", null, { timeout: 60_000 });
  await page.evaluate((f) => window.__runTests(f), filter);
} catch (error) {
  failed++;
  console.error(`test runner: ${error.message}`);
} finally {
  await browser?.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
if (passed + failed === 0) {
  console.error(`no test matched${filter ? ` --grep ${filter}` : ""}`);
  failed++;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
