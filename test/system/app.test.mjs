// The training page (npm run app) as a person meets it, in headless Chromium:
//  - its server (app/serve.mjs) prints a 127.0.0.1 URL and checks its flags;
//  - a tiny OCGAN run and its AE baseline train live: the loss charts and the
//    image grids update, the graph of a generator step is drawn from the
//    engine's tape, pause holds the iteration count still while the latent
//    explorer keeps decoding, and the ROC curves, AUCs and per-digit bars appear;
//  - the checkpoint it offers is the command line's safetensors format, loads
//    back (same AUC), resumes for another epoch, and a damaged file is refused;
//  - without WebGPU the page explains how to get it.
// The page is built into a temporary folder (not dist/), so this file can run
// beside the others. Run by `npm test` (test/run.mjs) with node:test; alone:
// node --test --test-reporter=./test/system/reporter.mjs test/system/app.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { buildMnist } from "../../scripts/build-mnist.mjs";
import { buildApp } from "../../app/build.mjs";
import { serve } from "../../scripts/serve.mjs";
import { launchChromium } from "../../scripts/chromium.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
let work;
let appDir;
let server;
let url;
let browser;
/** One browser profile for the pages of the training tests: a reopened page finds the kernel choices the first one stored, as a user's reload does. */
let profile;
let page;
const pageErrors = [];
/** The checkpoint the page offered after training, saved by the test. */
let savedCheckpoint;
/** Protocol 1 AUC the page showed for OCGAN after training. */
let trainedAuc;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "app-test-"));
  appDir = join(work, "app");
  await buildMnist(join(work, "mnist.bin"));
  await buildApp(appDir, join(work, "mnist.bin"));
  ({ server, url } = await serve(appDir));
  browser = await launchChromium();
  profile = await browser.newContext({ viewport: { width: 1400, height: 900 } });
});

after(async () => {
  await browser?.close();
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

const phase = () => page.evaluate(() => document.body.dataset.phase);
/** Waits for one of `phases`; on a timeout the error says where the page stood. */
async function waitPhase(phases, timeout = 60_000) {
  try {
    await page.waitForFunction((p) => p.includes(document.body.dataset.phase), phases, { timeout, polling: 100 });
  } catch (error) {
    const where = await page.evaluate(() => `phase ${document.body.dataset.phase}, message "${document.querySelector("#message")?.textContent}", status "${document.querySelector("#status")?.textContent?.replace(/\s+/g, " ")}"`);
    throw new Error(`waiting for ${phases.join("/")}: ${where}`, { cause: error });
  }
}
const dataOf = (selector, key) => page.$eval(selector, (el, k) => Number(el.dataset[k] ?? 0), key);
/** Waits until data-<key> of the element exceeds `than`; on a timeout the error says where the page stood. */
async function waitData(selector, key, than, timeout = 60_000) {
  try {
    await page.waitForFunction(([s, k, t]) => Number(document.querySelector(s)?.dataset[k] ?? 0) > t, [selector, key, than], { timeout, polling: 100 });
  } catch (error) {
    const where = await page.evaluate(([s, k]) => `${s} data-${k} ${document.querySelector(s)?.dataset[k]}, phase ${document.body.dataset.phase}, message "${document.querySelector("#message")?.textContent}", status "${document.querySelector("#status")?.textContent?.replace(/\s+/g, " ")}"`, [selector, key]);
    throw new Error(`waiting for ${selector} data-${key} > ${than}: ${where}`, { cause: error });
  }
}

/** The JSON header of a safetensors file, read independently of the project's parser. */
function safetensorsHeader(bytes) {
  const length = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + length).toString("utf8"));
}

async function openPage() {
  page = await profile.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(url);
  await waitPhase(["idle"]);
}

test("app: npm run app's server listens on 127.0.0.1, prints the URL, and refuses a bad --port", async () => {
  const bad = spawnSync(process.execPath, ["app/serve.mjs", "--port", "http"], { cwd: root, encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error: --port expects a number from 0 to 65535, got "http"/);
  const child = spawn(process.execPath, ["app/serve.mjs", "--port", "0", "--dir", appDir], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  try {
    const line = await new Promise((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(out);
      });
      child.on("exit", (code) => reject(new Error(`server exited (${code})`)));
      setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 10_000);
    });
    const printed = line.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
    assert.ok(printed, `no 127.0.0.1 URL in ${JSON.stringify(line)}`);
    const response = await fetch(printed[0]);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /OCGAN in your browser/);
    const data = await fetch(`${printed[0]}data/mnist.bin`);
    assert.equal(data.status, 200);
  } finally {
    child.kill();
  }
});

test("app: a tiny OCGAN run and its AE baseline train live: charts, image grids, graph, pause, explorer, ROC and per-digit bars", async () => {
  await openPage();
  assert.match(await page.textContent("#adapter"), /WebGPU adapter: /);
  await page.selectOption("#digit", "8");
  await page.selectOption("#preset", "tiny");
  await page.selectOption("#model", "ocgan");
  await page.fill("#epochs", "1");
  await page.fill("#batch", "16");
  await page.fill("#refresh", "10");
  await page.check("#baseline");
  assert.equal(await dataOf("#chart-generator", "points"), 0);
  // How long the page's event loop goes without running a 50 ms timer, during training.
  await page.evaluate(() => {
    window.__longestGap = 0;
    let last = performance.now();
    setInterval(() => {
      const now = performance.now();
      window.__longestGap = Math.max(window.__longestGap, now - last);
      last = now;
    }, 50);
  });
  await page.click("#start");
  await waitPhase(["training"]);

  // The graph of the first generator step, walked from the tape before backward().
  // A fresh profile first times the kernel variants of every layer shape ("choosing kernels"): over a minute on this 2-core CPU adapter.
  await waitData("#graph-svg", "nodes", 50, 240_000);
  const graph = await page.evaluate(() => ({
    nodes: document.querySelectorAll("#graph-svg .node").length,
    trainable: document.querySelectorAll("#graph-svg .node.parameter.needs-grad").length,
    frozen: document.querySelectorAll("#graph-svg .node.parameter.no-grad").length,
    gradEdges: document.querySelectorAll("#graph-svg .edge.grad").length,
    forwardEdges: document.querySelectorAll("#graph-svg .edge:not(.grad)").length,
    ops: [...new Set([...document.querySelectorAll("#graph-svg .node.op text.op")].map((t) => t.textContent))],
  }));
  assert.ok(graph.trainable > 0 && graph.frozen > 0, `trainable (En, De) and frozen (Dl, Dv) weights: ${JSON.stringify(graph)}`);
  assert.ok(graph.gradEdges > 0 && graph.forwardEdges > 0, JSON.stringify(graph));
  for (const op of ["conv2d", "convTranspose2d", "batchNorm", "mseLoss", "bceWithLogits", "linear"]) assert.ok(graph.ops.includes(op), `no ${op} node: ${graph.ops}`);
  await page.click("#graph-svg .node.root");
  assert.match(await page.textContent("#node-details"), /backward\(\) starts here/);

  // Loss charts and image grids update as training goes (images every 10 iterations).
  await waitData("#chart-generator", "points", 0);
  await waitData("#grid-in", "refreshes", 0);
  const firstPoints = await dataOf("#chart-generator", "points");
  await waitData("#grid-in", "refreshes", 1);
  await waitData("#chart-generator", "points", firstPoints);
  for (const id of ["#chart-classifier", "#chart-latent", "#chart-visual"]) assert.ok((await dataOf(id, "points")) > 0, `${id} is empty`);
  for (const id of ["#grid-out", "#grid-random", "#grid-mined"]) assert.ok((await dataOf(id, "refreshes")) >= 2, `${id} did not refresh`);
  assert.match(await page.textContent("#s-throughput"), /images\/s/);

  // Pause: the iteration count stands still, the explorer still decodes; then resume.
  await page.click("#pause");
  await waitPhase(["paused"]);
  const iteration = await page.textContent("#s-iteration");
  const decodes = await dataOf("#latent-image", "decodes");
  await page.$eval('#sliders input[data-dim="0"]', (input) => {
    input.value = "0.8";
    input.dispatchEvent(new Event("input"));
  });
  await waitData("#latent-image", "decodes", decodes);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await page.textContent("#s-iteration"), iteration, "training went on while paused");
  await page.click("#pause");
  await waitPhase(["training", "evaluating"]);

  // After training: both models evaluated, ROC curves and per-digit bars drawn.
  await waitPhase(["done", "error"], 150_000);
  assert.equal(await phase(), "done", await page.textContent("#message"));
  const cards = await page.$$eval("#auc .card", (cs) => cs.map((c) => c.textContent));
  assert.equal(cards.length, 2, cards.join(" | "));
  assert.match(cards[0], /OCGAN.*Protocol 1 AUC 0\.\d{4}.*Protocol 2 AUC 0\.\d{4}/s);
  assert.match(cards[1], /AE baseline.*Protocol 1 AUC/s);
  trainedAuc = cards[0].match(/Protocol 1 AUC (0\.\d{4})/)[1];
  assert.ok((await dataOf("#roc-main", "points")) > 10);
  assert.ok((await dataOf("#roc-baseline", "points")) > 10);
  assert.equal(await dataOf("#bars", "bars"), 20);
  const gap = await page.evaluate(() => window.__longestGap);
  console.error(`app test: longest stretch without a 50 ms timer during training ${Math.round(gap)} ms`);
  assert.ok(gap < 3000, `the page was unresponsive for ${Math.round(gap)} ms`);

  // The latent explorer offers both models now; a random walk keeps decoding.
  assert.deepEqual(await page.$$eval("#explorer-model option", (os) => os.map((o) => o.textContent)), ["OCGAN", "AE baseline"]);
  const before = await dataOf("#latent-image", "decodes");
  await page.click("#walk");
  await waitData("#latent-image", "decodes", before + 3);
  await page.click("#walk");
  assert.deepEqual(pageErrors, []);
});

test("app: the checkpoint it saves is the command line's safetensors file; it loads back, scores the same, resumes, and a damaged file is refused", async () => {
  assert.ok(page, "needs the training test before it");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click('a.download-last[data-model="OCGAN"]')]);
  savedCheckpoint = join(work, download.suggestedFilename());
  await download.saveAs(savedCheckpoint);
  assert.equal(download.suggestedFilename(), "ocgan-digit8-tiny-last.safetensors");
  const header = safetensorsHeader(readFileSync(savedCheckpoint));
  assert.equal(header.__metadata__.format, "webgpu-ocgan/1");
  assert.deepEqual(JSON.parse(header.__metadata__.progress).epoch, 1);
  const config = JSON.parse(header.__metadata__.config);
  assert.equal(config.preset, "tiny");
  assert.equal(config.digit, 8);
  assert.ok(header["En.0.weight"] && header["opt.generator.m.0"], "weights and Adam state");
  await page.close();

  // A fresh page: a damaged file is refused with the parser's message, then the saved one loads.
  await openPage();
  const damaged = join(work, "damaged.safetensors");
  writeFileSync(damaged, readFileSync(savedCheckpoint).subarray(0, 5000));
  await page.setInputFiles("#load", damaged);
  await page.waitForFunction(() => /Could not load/.test(document.querySelector("#message").textContent), null, { timeout: 20_000 });
  assert.match(await page.textContent("#message"), /damaged\.safetensors/);
  assert.equal(await page.isDisabled("#evaluate"), true, "nothing loaded");

  const copy = join(work, "last.safetensors");
  copyFileSync(savedCheckpoint, copy);
  await page.setInputFiles("#load", copy);
  await page.waitForFunction(() => /^Loaded /.test(document.querySelector("#message").textContent), null, { timeout: 30_000 });
  assert.equal(await page.textContent("#s-epoch"), "1 / 1");
  assert.ok((await dataOf("#grid-in", "refreshes")) >= 1, "figures of the loaded model");
  await waitData("#latent-image", "decodes", 0);
  await page.click("#evaluate");
  await waitPhase(["done", "error"], 60_000);
  const card = await page.textContent("#auc .card");
  assert.equal(card.match(/Protocol 1 AUC (0\.\d{4})/)?.[1], trainedAuc, `loaded: ${card}`);

  // Two epochs now: Train resumes from the checkpoint's epoch.
  await page.fill("#epochs", "2");
  await page.uncheck("#baseline");
  assert.equal(await page.textContent("#start"), "Resume from epoch 1");
  await page.click("#start");
  await waitPhase(["done", "error"], 90_000);
  assert.equal(await phase(), "done", await page.textContent("#message"));
  assert.match(await page.textContent('a.download-last[data-model="OCGAN"]'), /epoch 2/);
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("app: without WebGPU the page says how to get it", async () => {
  for (const [script, reason] of [
    [() => Object.defineProperty(Navigator.prototype, "gpu", { get: () => undefined, configurable: true }), /navigator\.gpu is undefined/],
    [() => { GPU.prototype.requestAdapter = async () => null; }, /no GPU adapter could be obtained/],
  ]) {
    const p = await browser.newPage();
    await p.addInitScript(script);
    await p.goto(url);
    await p.waitForFunction(() => document.body.dataset.phase === "no-webgpu", null, { timeout: 20_000 });
    assert.equal(await p.isVisible("#no-webgpu"), true);
    assert.equal(await p.isVisible("#app"), false);
    assert.match(await p.textContent("#no-webgpu-reason"), reason);
    const help = await p.textContent("#no-webgpu");
    for (const hint of ["--enable-unsafe-webgpu", "chrome://flags/#enable-unsafe-webgpu", "secure context", "127.0.0.1"]) assert.ok(help.includes(hint), `no "${hint}" in the help`);
    await p.close();
  }
});
