// The app's Benchmark view (bench.html) as a visitor meets it, in headless
// Chromium on SwiftShader:
//  - a quick run limited to one conv shape shows the roofline and kernel rows
//    with finite numbers, a point per pass on the roofline chart, and the
//    kernel variants the engine chose;
//  - its download is a results file that `npm run bench -- --print` prints;
//  - the compare view sets this run beside the committed SwiftShader run;
//  - Cancel stops a run at the next kernel, and nothing arrives after;
//  - a bad batch size is refused with a message naming the field.
// The page is built into a temporary folder. Run by `npm test`
// (test/run.mjs); alone: node --test test/system/bench-view.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { buildMnist } from "../../scripts/build-mnist.mjs";
import { buildApp } from "../../app/build.mjs";
import { serve } from "../../scripts/serve.mjs";
import { launchChromium } from "../../scripts/chromium.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
let work;
let server;
let url;
let browser;
let page;
const pageErrors = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), "bench-view-test-"));
  await buildMnist(join(work, "mnist.bin"));
  await buildApp(join(work, "app"), join(work, "mnist.bin"));
  ({ server, url } = await serve(join(work, "app")));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1300, height: 900 }, acceptDownloads: true });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${url}bench.html`);
  await page.waitForFunction(() => document.body.dataset.phase === "idle", null, { timeout: 60_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

const phase = () => page.evaluate(() => document.body.dataset.phase);
const waitFinished = (timeout) => page.waitForFunction(() => ["done", "failed", "cancelled"].includes(document.body.dataset.phase), null, { timeout, polling: 200 });
const kernelRows = () => page.$$eval("#kernels-table tbody tr", (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));

test("bench view: a quick run of one conv shape shows the roofline, kernel rows, chart points and kernel choices; its download prints with --print", { timeout: 5 * 60_000 }, async () => {
  assert.match(await page.textContent("#adapter"), /adapter: google \/ swiftshader/);
  assert.match(await page.textContent("#adapter-table"), /maxComputeInvocationsPerWorkgroup\s*256/);
  await page.check("input[name=mode][value=quick]");
  await page.fill("#grep", "conv 8->16");
  await page.uncheck("#part-iteration");
  await page.uncheck("#tfjs-webgpu");
  await page.click("#run");
  await waitFinished(4 * 60_000);
  assert.equal(await phase(), "done", await page.textContent("#log"));
  assert.match(await page.textContent("#status"), /^done in \d+:\d\d$/);

  const roof = await page.textContent("#roofline-values");
  const [, fma, copy] = /FMA throughput ([\d.]+) GFLOP\/s, copy bandwidth ([\d.]+) GB\/s/.exec(roof) ?? [];
  assert.ok(Number(fma) > 0 && Number(copy) > 0, roof);
  const rows = await kernelRows();
  assert.deepEqual(rows.map((r) => r[1]), ["forward", "dX", "dW"], JSON.stringify(rows));
  for (const r of rows) {
    assert.equal(r[0], "conv 8->16 16->8");
    assert.ok(Number(r[4]) > 0, `finite ms: ${r}`);
    assert.match(r[5], /^[\d.]+ GFLOP\/s$/);
    assert.match(r[6], /^[\d.]+%$/);
  }
  assert.equal(await page.locator("#roofline-chart circle.kernel-point").count(), 3, "a point per pass");
  assert.match(await page.textContent("#choices-table"), /conv2d_forward.*(direct|block)/s, "the variants the engine timed");

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  assert.equal(download.suggestedFilename(), "swiftshader-page-partial.json");
  const file = join(work, "downloaded.json");
  await download.saveAs(file);
  const results = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(results.runner, "page");
  assert.equal(results.kernels.length, 3);
  assert.ok(results.roofline.fmaGflops > 0 && results.adapter.limits.maxBufferSize > 0 && results.durationS >= 0);
  assert.match(results.commit ?? "", /^[0-9a-f]{40}$/, "the commit the page was built from");
  const printed = spawnSync(process.execPath, ["bench/run.mjs", "--print", file], { cwd: root, encoding: "utf8" });
  assert.equal(printed.status, 0, printed.stderr);
  assert.match(printed.stdout, /the app's Benchmark view in Chrome [\d.]+/);
  assert.match(printed.stdout, /Roofline: FMA [\d.]+ GFLOP\/s, copy [\d.]+ GB\/s/);
  assert.match(printed.stdout, /\| conv 8->16 16->8 \| dX \|/);

  // Compare: this run beside its own downloaded file (every shared row 1.00x), then beside the committed run (batch 64: the roofs compare).
  const compareRows = () => page.$$eval("#compare-table tbody tr", (trs) => trs.map((r) => [...r.children].map((c) => c.textContent)));
  await page.click("#compare-this");
  await page.setInputFiles("#compare-b", file);
  await page.waitForSelector("#compare-table table");
  const same = await compareRows();
  assert.equal(same.length, 2 + 3, `the roofs and the three conv passes: ${JSON.stringify(same)}`);
  assert.ok(same.every((r) => r[4] === "1.00x"), JSON.stringify(same));
  await page.click("#compare-reference");
  await page.waitForFunction(() => document.querySelector("#compare-table .note")?.textContent.includes("bench/results/swiftshader.json"), null, { timeout: 10_000 });
  const reference = await compareRows();
  assert.deepEqual(reference.slice(0, 2).map((r) => r.slice(0, 2)), [["roofline", "FMA GFLOP/s"], ["roofline", "copy GB/s"]]);
  assert.ok(reference.slice(0, 2).every((r) => /^[\d.]+x$/.test(r[4])), JSON.stringify(reference));
  await page.setInputFiles("#compare-b", { name: "broken.json", mimeType: "application/json", buffer: Buffer.from("{ not json") });
  await page.waitForSelector("#compare-table p.error");
  assert.match(await page.textContent("#compare-table"), /broken\.json is not JSON/);
  assert.deepEqual(pageErrors, []);
});

test("bench view: Cancel stops a run at the next kernel; a bad batch size is refused naming the field", { timeout: 5 * 60_000 }, async () => {
  await page.fill("#grep", "");
  await page.fill("#batch", "1");
  await page.click("#run");
  assert.match(await page.textContent("#status"), /Batch must be a whole number from 2 to 1024, got "1"/);
  assert.equal(await phase(), "done", "nothing started");

  await page.fill("#batch", "32");
  await page.click("#run");
  await page.waitForFunction(() => document.querySelectorAll("#kernels-table tbody tr").length >= 1, null, { timeout: 3 * 60_000, polling: 100 });
  await page.click("#cancel");
  await waitFinished(2 * 60_000);
  assert.equal(await phase(), "cancelled");
  assert.match(await page.textContent("#status"), /^cancelled after \d+:\d\d$/);
  const rows = (await kernelRows()).length;
  assert.ok(rows < 40, `stopped early: ${rows} rows`);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.equal((await kernelRows()).length, rows, "nothing arrives after a cancel");
  assert.equal(await page.isEnabled("#run"), true, "another run can start");
  assert.deepEqual(pageErrors, []);
});
