// npm test: runs every test on WebGPU twice, first in headless Chromium
// (Playwright; the bundle served on 127.0.0.1), then in Node on Dawn's WebGPU
// for Node (the `webgpu` package; scripts/node-gpu.mjs picks the driver).
// Prints one line per test, each runner's tally, and a closing
// "N passed, N failed" over both. Exit code 1 on any failure.
//   node test/run.mjs [--grep text] [--runner chromium|node|both] [--memory-iterations N]
// Then, whatever the runner, the command line and the server are tested from
// outside (test/system/*.test.mjs with node:test), counted in the same tally.
// --memory-iterations sets the length of test/reliability.test.ts's leak check
// (200 iterations by default, 100 on Node; 1000 is the full check).
// With both runners, a last check compares a tiny seeded OCGAN training run
// (test/trace.ts) across them: the losses and novelty scores must agree within
// float tolerance.
// Bundles are built into fresh temporary folders, so runs never share files.
// (The Node bundle's folder is under node_modules/.cache, so that its npm
// imports resolve.)
import { mkdtempSync, mkdirSync, rmSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { fork, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { buildPage, buildNode } from "../scripts/bundle.mjs";
import { serve } from "../scripts/serve.mjs";
import { launchChromium } from "../scripts/chromium.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const RUNNERS = ["chromium", "node", "both"];
const COMPARE_NAME = "cross-runner: the same seed gives the same losses and novelty scores on Chromium and Node";
/** Agreement required between the runners' traces: |a - b| <= ATOL + RTOL * |b|. */
const ATOL = 1e-4;
const RTOL = 1e-3;
const NODE_TIMEOUT_MS = 30 * 60_000;

function usage(message) {
  console.error(`error: ${message}\nusage: node test/run.mjs [--grep text] [--runner ${RUNNERS.join("|")}] [--memory-iterations N]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let filter = "";
let runner = "both";
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
  const value = () => inline ?? (i + 1 < args.length ? args[++i] : usage(`${flag} needs a value`));
  if (flag === "--grep") filter = value();
  else if (flag === "--memory-iterations") process.env.MEMORY_ITERATIONS = value(); // test/reliability.test.ts; Node inherits it
  else if (flag === "--runner") {
    runner = value();
    if (!RUNNERS.includes(runner)) usage(`--runner expects one of ${RUNNERS.join(", ")}, got ${JSON.stringify(runner)}`);
  } else usage(`unknown argument ${JSON.stringify(a)}`);
}
const runChromiumTests = runner !== "node";
const runNodeTests = runner !== "chromium";
const compare = runner === "both" && (!filter || COMPARE_NAME.includes(filter));

let passed = 0;
let failed = 0;

function report(r) {
  if (r.ok) passed++;
  else failed++;
  console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name} (${Math.round(r.ms)} ms)`);
  if (!r.ok) console.log(`     ${String(r.error).split("\n").slice(0, 8).join("\n     ")}`);
}

/** Runs the test bundle in headless Chromium; returns the tally and, when asked, the page's trace. */
async function chromiumRun(wantTrace) {
  const tally = { passed: 0, failed: 0, ms: 0, trace: null };
  const start = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "engine-test-"));
  let browser;
  let server;
  const count = (r) => {
    report(r);
    if (r.ok) tally.passed++;
    else tally.failed++;
  };
  try {
    await buildPage(join(root, "test/browser.ts"), dir, "engine tests");
    const served = await serve(dir);
    server = served.server;
    browser = await launchChromium();
    const page = await browser.newPage();
    page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
    page.on("console", (msg) => console.error(`[page ${msg.type()}] ${msg.text()}`));
    await page.exposeFunction("__report", count);
    // test/reliability.test.ts: its settings, and the page's JS heap after a garbage collection (CDP).
    await page.addInitScript((env) => void (window.__testEnv = env), { memoryIterations: process.env.MEMORY_ITERATIONS });
    const cdp = await page.context().newCDPSession(page);
    await page.exposeFunction("__heapUsage", async () => {
      await cdp.send("HeapProfiler.collectGarbage");
      return (await cdp.send("Runtime.getHeapUsage")).usedSize;
    });
    await page.goto(served.url);
    await page.waitForFunction(() => typeof window.__runTests === "function", null, { timeout: 60_000 });
    await page.evaluate((f) => window.__runTests(f), filter);
    if (wantTrace) tally.trace = await page.evaluate(() => window.__trace());
  } catch (error) {
    count({ name: "chromium runner", ok: false, ms: performance.now() - start, error: error.message });
  } finally {
    await browser?.close();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  tally.ms = performance.now() - start;
  return tally;
}

/** Runs the Node test bundle (test/node.ts) in a child process on Dawn; same tally. */
async function nodeRun(wantTrace) {
  const tally = { passed: 0, failed: 0, ms: 0, trace: null };
  const start = performance.now();
  const count = (r) => {
    report(r);
    if (r.ok) tally.passed++;
    else tally.failed++;
  };
  const cache = join(root, "node_modules/.cache");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, "engine-test-node-"));
  try {
    const bundle = join(dir, "node-tests.mjs");
    await buildNode(join(root, "test/node.ts"), bundle);
    const childArgs = [...(filter ? ["--grep", filter] : []), ...(wantTrace ? ["--trace"] : [])];
    const child = fork(bundle, childArgs, { execArgv: ["--enable-source-maps", "--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let done = false;
    child.on("message", (m) => {
      if (m.type === "excluded") console.log(`skip ${m.name}\n     left out on Node: ${m.reason} (browser-only; it runs in the Chromium pass)`);
      else if (m.type === "result") count(m.result);
      else if (m.type === "trace") tally.trace = m.trace;
      else if (m.type === "done") done = true;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), NODE_TIMEOUT_MS);
    const [code, signal] = await new Promise((resolve) => child.on("exit", (c, s) => resolve([c, s])));
    clearTimeout(timer);
    if (!done || code !== 0) {
      count({ name: "node runner", ok: false, ms: performance.now() - start, error: `the Node test process ended early (exit code ${code}, signal ${signal})` });
    }
  } catch (error) {
    count({ name: "node runner", ok: false, ms: performance.now() - start, error: error.message });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  tally.ms = performance.now() - start;
  return tally;
}

/**
 * The command line and the server tested from outside (test/system/*.test.mjs,
 * node:test, in a child process): its reporter prints the same "ok"/"FAIL"
 * lines, counted into the same tally. --grep selects by name here too.
 */
async function systemRun() {
  const tally = { passed: 0, failed: 0, ms: 0 };
  const start = performance.now();
  const dir = join(root, "test/system");
  const files = readdirSync(dir).filter((f) => f.endsWith(".test.mjs")).sort().map((f) => join(dir, f));
  const pattern = filter ? [`--test-name-pattern=${filter.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`] : [];
  const child = spawn(process.execPath, ["--test", `--test-reporter=${join(dir, "reporter.mjs")}`, ...pattern, ...files], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  for await (const line of createInterface({ input: child.stdout })) {
    console.log(line);
    if (line.startsWith("ok   ")) tally.passed++;
    else if (line.startsWith("FAIL ")) tally.failed++;
  }
  const code = child.exitCode ?? (await new Promise((resolve) => child.on("exit", resolve)));
  passed += tally.passed;
  failed += tally.failed;
  if (code !== 0 && tally.failed === 0) report({ name: "system tests (node --test)", ok: false, ms: performance.now() - start, error: `node --test exited with code ${code}` });
  tally.ms = performance.now() - start;
  return tally;
}

/** Largest |a - b| and largest |a - b| / |b| over two equal-length lists, and whether all are within tolerance. */
function difference(a, b) {
  let abs = 0;
  let rel = 0;
  let ok = a.length === b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = Math.abs(a[i] - b[i]);
    abs = Math.max(abs, d);
    if (b[i] !== 0) rel = Math.max(rel, d / Math.abs(b[i]));
    if (!(d <= ATOL + RTOL * Math.abs(b[i]))) ok = false;
  }
  return { abs, rel, ok, n: a.length, lengths: a.length === b.length ? null : `${a.length} vs ${b.length}` };
}

function compareTraces(chromium, node) {
  const start = performance.now();
  if (!chromium || !node) {
    return { name: COMPARE_NAME, ok: false, ms: 0, error: `no trace from ${!chromium ? "Chromium" : ""}${!chromium && !node ? " or " : ""}${!node ? "Node" : ""}` };
  }
  const parts = {
    losses: difference(node.losses.flat(), chromium.losses.flat()),
    "validation MSE": difference(node.validationMse, chromium.validationMse),
    "novelty scores": difference(node.scores, chromium.scores),
  };
  const lines = Object.entries(parts).map(([what, d]) =>
    `${what}: ${d.n} values, max |diff| ${d.abs.toExponential(2)}, max rel ${d.rel.toExponential(2)}${d.lengths ? ` (lengths ${d.lengths})` : ""}`);
  console.log(`cross-runner: Chromium (${chromium.adapter}) vs Node (${node.adapter}), tolerance ${ATOL} + ${RTOL} x |value|`);
  for (const line of lines) console.log(`     ${line}`);
  const ok = Object.values(parts).every((d) => d.ok);
  return { name: COMPARE_NAME, ok, ms: performance.now() - start, error: ok ? undefined : `outside tolerance:\n${lines.join("\n")}` };
}

const tallies = {};
if (runChromiumTests) {
  console.log("== Chromium (headless, WebGPU) ==");
  tallies.chromium = await chromiumRun(compare);
}
if (runNodeTests) {
  console.log("== Node (Dawn's WebGPU for Node) ==");
  tallies.node = await nodeRun(compare);
}
if (compare) report(compareTraces(tallies.chromium.trace, tallies.node.trace));
console.log("== the command line and the server (node --test test/system/) ==");
tallies.system = await systemRun();

console.log("");
for (const [name, t] of Object.entries(tallies)) {
  console.log(`[${name}] ${t.passed} ok and ${t.failed} failing in ${(t.ms / 1000).toFixed(1)} s`);
}
if (passed + failed === 0) {
  console.error(`no test matched${filter ? ` --grep ${filter}` : ""}`);
  failed++;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
