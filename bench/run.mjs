// npm run bench: builds the benchmark page (bench/page.ts) into a temporary
// folder, serves it on 127.0.0.1, opens it in headless Chromium with WebGPU,
// runs it, prints tables and writes every figure to
// bench/results/<adapter>.json (a run limited by options writes
// <adapter>-partial.json unless --out is given).
//
//   node bench/run.mjs [options]
//     --parts kernels,iteration,tfjs   parts to run (the roofline always runs)
//     --presets fast,paper             presets for kernel shapes and iterations
//                                      (also tiny, or c16: C 16, Dv 12, d 16)
//     --batch N                        batch size of every kernel shape (default 64)
//     --iteration-batches LIST         batch sizes of the iterations and of TF.js (default:
//                                      32, what npm start trains at, and --batch)
//     --iters N                        timed engine iterations per config
//                                      (default: fast 3, c16 2, paper 1)
//     --phases auto|all|none           split iterations into steps 1,2,4 and
//                                      mining (auto: configs under 20 GFLOP)
//     --grep TEXT                      only kernels whose name contains TEXT
//     --conv-dx-kernels auto|direct|gemm|phases  kernels of the conv input gradient: chosen
//                                      by shape (default), or one family forced
//     --quick                          fewer, shorter timing batches
//     --no-tfjs                        skip TensorFlow.js
//     --tfjs-configs fast,c16          TF.js configs (c16 = C 16, Dv 12, d 16)
//     --tfjs-backends cpu,webgpu       TF.js backends, in this order
//     --tfjs-iters N                   timed TF.js iterations after a warm-up
//                                      (default 1)
//     --out FILE                       results file
//     --print FILE                     print the tables of a results file; run nothing
//     --runner chromium|node           where WebGPU runs: headless Chromium (default), or
//                                      in-process on Dawn's WebGPU for Node (bench/node.ts;
//                                      TF.js's WebGPU backend needs a page: cpu only there)
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir, loadavg, cpus } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { execFileSync } from "node:child_process";
import { buildPage, buildNode } from "../scripts/bundle.mjs";
import { serve } from "../scripts/serve.mjs";
import { launchChromium } from "../scripts/chromium.mjs";
import { newResults, recordResult, finishResults, resultsFileName } from "./results.mjs";
import { fix, kernelTable, compactKernelTable, iterationTable, tfjsTable, ceilingTable, targets, choicesTable, profileTable, describeRun, probeTable } from "./tables.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_ITERS = { fast: 3, c16: 2, paper: 1 };
const DEFAULTS = {
  parts: "kernels,iteration,tfjs",
  presets: "fast,paper",
  tfjsConfigs: "fast",
  // CPU first: it then runs in a page where TF.js's WebGPU backend has not been started.
  tfjsBackends: "cpu,webgpu",
};

function parseArgs(argv) {
  const o = { parts: DEFAULTS.parts, presets: DEFAULTS.presets, tfjsConfigs: DEFAULTS.tfjsConfigs, tfjsBackends: DEFAULTS.tfjsBackends,
    batch: 64, iterationBatches: null, iters: null, phases: "auto", grep: undefined, convDxKernels: "auto", quick: false, tfjs: true, tfjsIters: null, out: null, print: null, runner: "chromium" };
  const value = (i) => {
    if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      console.log(readUsage());
      process.exit(0);
    } else if (a === "--parts") o.parts = value(i++);
    else if (a === "--presets") o.presets = value(i++);
    else if (a === "--iters") o.iters = Number(value(i++));
    else if (a === "--batch") o.batch = Number(value(i++));
    else if (a === "--iteration-batches") o.iterationBatches = value(i++);
    else if (a === "--phases") o.phases = value(i++);
    else if (a === "--grep") o.grep = value(i++);
    else if (a === "--conv-dx-kernels") o.convDxKernels = value(i++);
    else if (a === "--quick") o.quick = true;
    else if (a === "--no-tfjs") o.tfjs = false;
    else if (a === "--tfjs-configs") o.tfjsConfigs = value(i++);
    else if (a === "--tfjs-backends") o.tfjsBackends = value(i++);
    else if (a === "--tfjs-iters") o.tfjsIters = Number(value(i++));
    else if (a === "--out") o.out = value(i++);
    else if (a === "--print") o.print = value(i++);
    else if (a === "--runner") o.runner = value(i++);
    else throw new Error(`unknown option ${a} (see --help)`);
  }
  const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
  const parts = list(o.parts).filter((p) => o.tfjs || p !== "tfjs");
  for (const p of parts) if (!["kernels", "iteration", "tfjs"].includes(p)) throw new Error(`unknown part '${p}'`);
  const presets = list(o.presets);
  for (const p of presets) if (!["fast", "paper", "tiny", "c16"].includes(p)) throw new Error(`unknown preset '${p}'`);
  const tfjsConfigs = list(o.tfjsConfigs);
  for (const c of tfjsConfigs) if (!["fast", "paper", "tiny", "c16"].includes(c)) throw new Error(`unknown TF.js config '${c}'`);
  const backends = list(o.tfjsBackends);
  for (const b of backends) if (!["webgpu", "cpu"].includes(b)) throw new Error(`unknown TF.js backend '${b}'`);
  if (!["auto", "all", "none"].includes(o.phases)) throw new Error("--phases takes auto, all or none");
  if (!["chromium", "node"].includes(o.runner)) throw new Error("--runner takes chromium or node");
  if (o.runner === "node" && o.tfjsBackends === DEFAULTS.tfjsBackends && backends.includes("webgpu")) {
    // TF.js registers its WebGPU backend only where there is a window.
    backends.splice(backends.indexOf("webgpu"), 1);
    console.log("note: --runner node: TF.js's WebGPU backend needs a page, so only its cpu backend is measured");
  }
  if (!["auto", "direct", "gemm", "phases"].includes(o.convDxKernels)) throw new Error(`--conv-dx-kernels must be auto, direct, gemm or phases, got '${o.convDxKernels}'`);
  if (!(Number.isInteger(o.batch) && o.batch > 1)) throw new Error("--batch needs an integer > 1");
  const iterationBatches = o.iterationBatches === null ? [...new Set([32, o.batch])] : list(o.iterationBatches).map(Number);
  if (!iterationBatches.length || !iterationBatches.every((b) => Number.isInteger(b) && b > 1)) {
    throw new Error(`--iteration-batches needs a comma-separated list of integers > 1, got '${o.iterationBatches}'`);
  }
  if (o.iters !== null && !(Number.isInteger(o.iters) && o.iters > 0)) throw new Error("--iters needs a positive integer");
  if (o.tfjsIters !== null && !(Number.isInteger(o.tfjsIters) && o.tfjsIters > 0)) throw new Error("--tfjs-iters needs a positive integer");
  const iterations = {};
  for (const name of new Set([...presets, ...tfjsConfigs])) iterations[name] = o.iters ?? DEFAULT_ITERS[name] ?? 2;
  const full = o.batch === 64 && o.iterationBatches === null && o.parts === DEFAULTS.parts && o.tfjs && o.presets === DEFAULTS.presets && !o.grep && !o.quick && o.convDxKernels === "auto" &&
    o.tfjsBackends === DEFAULTS.tfjsBackends;
  return {
    page: { parts, presets, batch: o.batch, iterationBatches, iterations, phases: o.phases, quick: o.quick, grep: o.grep, convDxKernels: o.convDxKernels,
      tfjs: { configs: tfjsConfigs, backends, iterations: { cpu: o.tfjsIters ?? 1, webgpu: o.tfjsIters ?? 1 } } },
    out: o.out,
    print: o.print,
    runner: o.runner,
    full,
  };
}

/** The option list at the top of this file. */
function readUsage() {
  const lines = readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n");
  const from = lines.findIndex((l) => l.startsWith("//   node bench/run.mjs"));
  const usage = [];
  for (let i = from; i >= 0 && lines[i].startsWith("//"); i++) usage.push(lines[i].slice(3));
  return usage.join("\n");
}

function git(...args) {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function printResults(results) {
  console.log(`\n## ${describeRun(results)}\n`);
  if (results.roofline) {
    console.log(`Roofline: FMA ${fix(results.roofline.fmaGflops)} GFLOP/s, copy ${fix(results.roofline.copyGBps)} GB/s\n`);
    const probes = probeTable(results);
    if (probes) console.log("Block probes (bench/block-probes.ts: a product kernel's inner loop, by block and operand loads):\n\n" + probes + "\n");
  }
  if (results.kernels.length) {
    console.log(kernelTable(results.kernels) + "\n");
    console.log("Kernels (ms, GFLOP/s or GB/s, share of the FMA or copy roofline):\n");
    console.log(compactKernelTable(results.kernels) + "\n");
  }
  if (results.iterations.length) {
    console.log(iterationTable(results.iterations) + "\n");
    const choices = choicesTable(results);
    if (choices) console.log("Kernel variants timed per layer shape (src/gpu/tuner.ts):\n\n" + choices + "\n");
    const profile = profileTable(results.iterations);
    if (profile) console.log("One profiled iteration (timestamp queries), by kernel:\n\n" + profile + "\n");
    const ceilings = ceilingTable(results);
    if (ceilings) console.log("Compute kernels of the profiled iterations against the block probe of their scheme (the largest first):\n\n" + ceilings + "\n");
  }
  if (results.tfjs.length) console.log(tfjsTable(results.tfjs, results.iterations) + "\n");
  const checks = targets(results);
  if (checks.length) console.log("Targets:\n" + checks.map((l) => `  ${l}`).join("\n"));
}

// ---------------------------------------------------------------------------

const { page: options, out, print, full, runner } = parseArgs(process.argv.slice(2));
if (print) {
  printResults(JSON.parse(readFileSync(print, "utf8")));
  process.exit(0);
}
const results = newResults({
  commit: git("rev-parse", "HEAD"),
  workingTreeDirty: (git("status", "--porcelain") ?? "") !== "",
  // Other work on the machine slows a CPU adapter directly: the load averages say how busy it was.
  host: { platform: process.platform, arch: process.arch, cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadavgStart: loadavg() },
  options,
  runner,
});

const dir = mkdtempSync(join(tmpdir(), "engine-bench-"));
let browser;
let server;
let failed = false;
const record = (section, data) => recordResult(results, section, data);

if (runner === "node") {
  // The same benchmark code in this process: bundled under node_modules/.cache so its npm imports resolve.
  const cache = join(root, "node_modules/.cache");
  mkdirSync(cache, { recursive: true });
  const nodeDir = mkdtempSync(join(cache, "engine-bench-node-"));
  try {
    console.log("building the benchmarks for Node...");
    await buildNode(join(root, "bench/node.ts"), join(nodeDir, "bench.mjs"));
    const { benchInNode } = await import(pathToFileURL(join(nodeDir, "bench.mjs")).href);
    results.dawn = await benchInNode(options, record, (line) => console.log(line));
  } catch (error) {
    failed = true;
    console.error(`bench: ${error.stack ?? error}`);
  } finally {
    rmSync(nodeDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
} else try {
  console.log("building the benchmark page...");
  await buildPage(join(root, "bench/page.ts"), dir, "engine benchmarks");
  const served = await serve(dir);
  server = served.server;
  results.url = served.url;
  browser = await launchChromium();
  results.browser = browser.version();
  const page = await browser.newPage();
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") console.error(`[page ${msg.type()}] ${msg.text()}`);
  });
  await page.exposeFunction("__log", (line) => console.log(line));
  await page.exposeFunction("__record", record);
  await page.goto(results.url);
  await page.waitForFunction(() => typeof window.__bench === "function", null, { timeout: 60_000 });
  await page.evaluate((o) => window.__bench(o), options);
} catch (error) {
  failed = true;
  console.error(`bench: ${error.stack ?? error}`);
} finally {
  await browser?.close();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
}
finishResults(results);
results.host.loadavgEnd = loadavg();
delete results.url;

if (results.adapter) {
  const file = out ?? join(root, "bench/results", resultsFileName(results, full));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  console.log(`\nresults written to ${file}`);
}

printResults(results);
process.exit(failed ? 1 : 0);
