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

// ---------------------------------------------------------------------------
// Tables

const pct = (f) => (Number.isFinite(f) ? `${(100 * f).toFixed(1)}%` : "—");
const fix = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "—");

function table(header, rows) {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((h, i) => (i === 0 ? "---" : "---:")).join("|")}|`];
  for (const r of rows) lines.push(`| ${r.join(" | ")} |`);
  return lines.join("\n");
}

function kernelTable(kernels) {
  return table(
    ["kernel", "pass", "shape", "used by", "ms", "GFLOP/s or GB/s", "of roofline", "of spot check"],
    kernels.map((k) => [
      k.name, k.pass, k.shape, k.usedBy, k.error ? "error" : fix(k.ms, 3),
      k.error ? k.error.slice(0, 60) : k.gflops !== undefined ? `${fix(k.gflops)} GFLOP/s` : `${fix(k.gbps)} GB/s`,
      pct(k.fraction), pct(k.fractionOfSpot),
    ]),
  );
}

/** One row per kernel: its passes side by side, as rate and share of the roofline. */
function compactKernelTable(kernels) {
  const names = [...new Set(kernels.map((k) => k.name))];
  const cell = (k) => {
    if (!k) return "";
    if (k.error) return "error";
    const rate = k.gflops !== undefined ? fix(k.gflops) : `${fix(k.gbps)} GB/s`;
    return `${fix(k.ms, k.ms < 10 ? 2 : 0)} ms, ${rate} (${pct(k.fraction)})`;
  };
  return table(
    ["kernel (batch as shown)", "used by", "forward / step", "dX", "dW", "FMA spot check"],
    names.map((name) => {
      const ks = kernels.filter((k) => k.name === name);
      const by = (pass) => ks.find((k) => k.pass === pass);
      return [`${name}${ks[0].group.startsWith("conv") ? ` (${ks[0].shape})` : ""}`, ks[0].usedBy,
        cell(by("forward") ?? by("train fwd+bwd") ?? by("step")), cell(by("dX")), cell(by("dW")), `${fix(ks[0].spot?.fmaGflops, 1)}`];
    }),
  );
}

function iterationTable(its) {
  return table(
    ["config", "ms / iteration", "GFLOP / iteration", "GFLOP/s", "of FMA roofline", "of spot check (GFLOP/s)", "dispatches", "submits", "steps 1,2,4 / mining (ms)"],
    its.map((r) => r.error
      ? [r.name, "error", "", "", "", "", "", "", r.error.slice(0, 60)]
      : [`${r.name} (C ${r.config.base}, Dv ${r.config.visualBase}, d ${r.config.latent}, B ${r.config.batch}, K ${r.config.miningSteps})`,
        fix(r.ms, 0), fix(r.flops.total / 1e9, 2), fix(r.gflops), pct(r.fraction), `${pct(r.fractionOfSpot)} (${fix(r.spotFmaGflops, 1)})`,
        fix(r.dispatches, 0), fix(r.submits, 0),
        r.phases ? `${fix(r.phases.stepsWithoutMiningMs, 0)} / ${fix(r.phases.miningMs, 0)}` : "—"]),
  );
}

function tfjsTable(tfjs, its) {
  return table(
    ["config", "TF.js backend", "TF.js ms / iteration", "engine ms / iteration", "engine speed-up", "load-adjusted speed-up", "parameters (TF.js / engine)"],
    tfjs.map((t) => {
      const engine = engineIteration(its, t);
      const ok = engine && Number.isFinite(t.ms);
      // Scales each time by the FMA spot check taken around it: a busy machine slows both alike.
      const adjusted = ok && t.spotFmaGflops && engine.spotFmaGflops ? (t.ms * t.spotFmaGflops) / (engine.ms * engine.spotFmaGflops) : NaN;
      return [`${t.config.name} (B ${t.config.batch})`, t.backend, t.error ? `error: ${t.error.slice(0, 60)}` : fix(t.ms, 0), engine ? fix(engine.ms, 0) : "—",
        ok ? `${fix(t.ms / engine.ms, 1)}x` : "—", Number.isFinite(adjusted) ? `${fix(adjusted, 1)}x` : "—",
        `${t.parameters ?? "?"} / ${engine?.parameters ?? "?"}`];
    }),
  );
}

/** The engine's iteration that a TF.js run is compared with: same config, same batch. */
function engineIteration(its, t) {
  return its.find((r) => r.name === t.config.name && !r.error && r.config.batch === t.config.batch);
}

/**
 * The compute kernels of each profiled iteration against their ceilings: the
 * block probe (bench/block-probes.ts) with the block shape and operand loads
 * that kernel uses. FLOPs per dispatch come from the shape baked into the
 * kernel's key (its override constants); a phase of the input gradient gets
 * its share of the transposed convolution's taps.
 */
function ceilingTable(results) {
  const blocks = results.roofline?.blocks ?? [];
  const probe = (name) => blocks.find((b) => b.probe === name);
  const rows = [];
  for (const r of results.iterations.filter((r) => r.profile)) {
    for (const k of r.profile.kernels) {
      const [, file, entry, args] = /^([^:]+):(\w+)\((.*)\)$/.exec(k.key) ?? [];
      if (!file) continue;
      const c = Object.fromEntries(args.split(" ").map((kv) => kv.split("=")).map(([a, v]) => [a, Number(v)]));
      const conv = 2 * c.N * c.Co * c.Ho * c.Wo * c.Ci * c.KH * c.KW;
      let flops = null;
      let ceiling = "block_gather_8x8";
      if (file === "matmul.wgsl" && entry === "matmul") flops = 2 * c.M * c.N * c.DEPTH * c.BATCHES;
      else if (/^conv2d_(forward|weight_grad)/.test(entry) || entry === "conv2d_input_grad_direct" || entry === "conv2d_input_grad_tile") flops = conv;
      else if (entry.startsWith("conv2d_input_grad_phases")) flops = (conv * (c.J1 - c.J0) * (c.I1 - c.I0)) / (c.H * c.W); // its share of the input positions
      if (flops === null) continue;
      if (entry.endsWith("_quad")) ceiling = "block_quad_8x8";
      else if (file === "conv2d.wgsl") ceiling = "block_gather_8x4"; // the direct kernels: 8 images x 4 channels
      const gflops = (flops * k.dispatches) / (k.ms * 1e6);
      const p = probe(ceiling);
      rows.push([`${r.name} B ${r.config.batch}`, `${file}:${entry}`, shapeOf(c), fix(k.ms, 1), fix(gflops), pct(gflops / results.roofline.fmaGflops),
        p ? `${ceiling.replace("block_", "")} ${fix(p.gflops)}` : "—", p ? pct(gflops / p.gflops) : "—", k.ms]);
    }
  }
  rows.sort((a, b) => (a[0] === b[0] ? b[8] - a[8] : a[0] < b[0] ? -1 : 1));
  const top = [];
  for (const row of rows) if (top.filter((t) => t[0] === row[0]).length < 14) top.push(row.slice(0, 8));
  return top.length ? table(["iteration", "kernel", "shape", "GPU ms", "GFLOP/s", "of FMA roofline", "ceiling probe (GFLOP/s)", "of its ceiling"], top) : "";
}

/** A conv kernel's key constants as the layer's shape, e.g. "8->16 16x16 N32" (a product: M x N x depth). */
function shapeOf(c) {
  if (c.M !== undefined) return `${c.M}x${c.N}x${c.DEPTH}${c.BATCHES > 1 ? ` x${c.BATCHES}` : ""}`;
  const phase = c.PHY !== undefined ? ` phase ${c.PHY},${c.PHX}` : "";
  return `${c.Ci}->${c.Co} ${c.H}x${c.W} N${c.N}${phase}`;
}

/**
 * Checks against the speed targets (the training-step issue): the fast
 * iteration at every batch and the paper one against the FMA roofline, every
 * conv and linear pass against 10% of the FMA roofline and every memory-bound
 * pass against 30% of the copy roofline, and the fast iteration at batch 32
 * against TF.js's CPU backend. Returns lines.
 */
function targets(results) {
  const lines = [];
  const mark = (ok) => (ok ? "ok  " : "MISS");
  const measured = results.kernels.filter((k) => !k.error);
  const compute = measured.filter((k) => k.gflops !== undefined && ["conv2d", "convTranspose2d", "linear"].includes(k.group));
  const memory = measured.filter((k) => k.gbps !== undefined);
  const lowest = (ks) => ks.sort((a, b) => a.fraction - b.fraction).slice(0, 6).map((k) => `${k.name} ${k.pass} ${pct(k.fraction)}`).join(", ");
  for (const [ks, share, what] of [[compute, 0.1, "conv and linear passes below 10% of the FMA roofline"], [memory, 0.3, "memory-bound passes below 30% of the copy roofline"]]) {
    if (!ks.length) continue;
    const below = ks.filter((k) => k.fraction < share);
    lines.push(`${mark(!below.length)} ${below.length} of ${ks.length} ${what} (target: none)${below.length ? `; the lowest: ${lowest(below)}` : ""}`);
  }
  for (const k of results.kernels.filter((k) => k.error)) lines.push(`FAIL ${k.name} ${k.pass}: ${k.error}`);
  for (const r of results.iterations.filter((r) => !r.error && (r.name === "fast" || r.name === "paper"))) {
    const want = r.name === "fast" ? 0.3 : 0.35;
    lines.push(`${mark(r.fraction >= want)} ${r.name} iteration at batch ${r.config.batch}: ${fix(r.ms, 0)} ms, ${pct(r.fraction)} of the FMA roofline (target >= ${pct(want)})`);
  }
  for (const t of results.tfjs.filter((t) => !t.error && t.backend === "cpu" && t.config.batch === 32)) {
    const engine = engineIteration(results.iterations, t);
    if (engine) lines.push(`${mark(t.ms / engine.ms >= 10)} ${t.config.name} at batch 32 vs TF.js cpu: ${fix(t.ms / engine.ms, 1)}x faster (target >= 10x)`);
  }
  return lines;
}

/** The kernel variants the engine timed for each layer shape (the whole run's, or else each iteration's), and the one it chose. */
function choicesTable(results) {
  const timed = results.tuning ?? results.iterations.flatMap((r) => r.kernelChoices ?? []);
  const rows = timed.map((c) => [c.family, c.shape, Object.entries(c.ms).map(([v, ms]) => `${v} ${fix(ms)}`).join(", "), c.chosen]);
  return rows.length ? table(["pass", "shape", "variants (ms)", "chosen"], rows) : "";
}

/** Where one profiled iteration's GPU time went, by kernel entry point (every shape summed). */
function profileTable(its) {
  const rows = [];
  for (const r of its.filter((r) => r.profile)) {
    const byKernel = new Map();
    for (const k of r.profile.kernels) {
      const name = k.key.split(/[ (]/)[0];
      const e = byKernel.get(name) ?? { ms: 0, dispatches: 0 };
      e.ms += k.ms;
      e.dispatches += k.dispatches;
      byKernel.set(name, e);
    }
    for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
      rows.push([r.name, name, fix(e.ms, 1), pct(e.ms / r.profile.gpuMs), e.dispatches]);
    }
  }
  return rows.length ? table(["config", "kernel", "GPU ms in one iteration", "share", "dispatches"], rows) : "";
}

function printResults(results) {
  console.log(`\n## ${results.date.slice(0, 10)}, commit ${results.commit?.slice(0, 10) ?? "?"}${results.workingTreeDirty ? " (uncommitted changes)" : ""}, ` +
    `${results.adapter ? `${results.adapter.vendor} ${results.adapter.architecture}`.trim() : "no adapter"}, ${results.runner === "node" ? `Node ${results.host.node} (Dawn for Node)` : results.runner === "page" ? `the app's Benchmark view in ${results.browser ?? "a browser"}` : `Chromium ${results.browser ?? "?"}`}, ` +
    `${results.host.cpus ?? "?"} CPUs${results.host.loadavgStart ? `, load average ${fix(results.host.loadavgStart[0], 1)} at start and ${fix(results.host.loadavgEnd?.[0], 1)} at end` : ""}, ${results.durationS} s\n`);
  if (results.roofline) {
    console.log(`Roofline: FMA ${fix(results.roofline.fmaGflops)} GFLOP/s, copy ${fix(results.roofline.copyGBps)} GB/s\n`);
    const blocks = results.roofline.blocks ?? [];
    if (blocks.length) {
      console.log("Block probes (bench/block-probes.ts: a product kernel's inner loop, by block and operand loads):\n");
      console.log(table(["block", "operands", "GFLOP/s", "share of the FMA roofline"],
        blocks.map((b) => [`${b.rows}x${b.cols}`, b.loads, fix(b.gflops), pct(b.fraction)])) + "\n");
    }
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
