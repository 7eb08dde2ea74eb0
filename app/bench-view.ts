// The Benchmark view (bench.html): the engine's benchmarks in the visitor's
// browser. It runs bench/bench.ts's runBench, the code `npm run bench` drives
// in its headless page and in Node, so no timing or FLOP counting lives here:
// this file only chooses the options, shows progress, draws what arrives and
// assembles the results file with bench/results.mjs, in bench/results' format.
//
// State: `run` (the results being filled, live kernel rows, the abort
// controller) and the two files of the compare view; every section redraws
// from it when a result arrives.
import { runBench, type BenchOptions } from "../bench/bench.js";
import { newResults, recordResult, finishResults, resultsFileName, type BenchResults } from "../bench/results.mjs";
import type { KernelResult } from "../bench/kernels.js";
import { runtime } from "../src/index.js";
import { REPORTED_LIMITS } from "../src/gpu/device.js";
import { byId, html, svg, svgText, duration } from "./dom.js";

declare const __BUILD_COMMIT__: string | null;
declare const __BUILD_DIRTY__: boolean;

/** The committed results of `npm run bench` on a 2-core CPU, copied beside the page by app/build.mjs. */
const REFERENCE_FILE = "bench-results/swiftshader.json";

interface Run {
  results: BenchResults;
  /** Kernel passes as they are timed (the "kernels" record comes once, at the end of that part). */
  kernels: KernelResult[];
  done: number;
  total: number;
  step: string;
  controller: AbortController;
  startedMs: number;
  finished: "running" | "done" | "cancelled" | "failed";
  full: boolean;
}

let run: Run | null = null;
const compared: { a: BenchResults | null; b: BenchResults | null; names: [string, string] } = { a: null, b: null, names: ["", ""] };

const ui = {
  run: byId<HTMLButtonElement>("run"),
  cancel: byId<HTMLButtonElement>("cancel"),
  download: byId<HTMLButtonElement>("download"),
  progress: byId<HTMLProgressElement>("progress"),
  status: byId("status"),
  log: byId("log"),
  batch: byId<HTMLInputElement>("batch"),
  grep: byId<HTMLInputElement>("grep"),
  checks: {
    kernels: byId<HTMLInputElement>("part-kernels"),
    iteration: byId<HTMLInputElement>("part-iteration"),
    tfjsWebgpu: byId<HTMLInputElement>("tfjs-webgpu"),
    tfjsCpu: byId<HTMLInputElement>("tfjs-cpu"),
    fast: byId<HTMLInputElement>("preset-fast"),
    paper: byId<HTMLInputElement>("preset-paper"),
  },
};

/** The two modes' settings; "full" is `npm run bench`'s default run, so its file is not marked partial. */
const MODES = {
  quick: { kernels: true, iteration: true, tfjsWebgpu: true, tfjsCpu: false, fast: true, paper: false, batch: 32 },
  full: { kernels: true, iteration: true, tfjsWebgpu: true, tfjsCpu: true, fast: true, paper: true, batch: 64 },
} as const;
type Mode = keyof typeof MODES;

const mode = (): Mode => (document.querySelector<HTMLInputElement>("input[name=mode]:checked")?.value as Mode) ?? "quick";

function applyMode(): void {
  const m = MODES[mode()];
  for (const [key, box] of Object.entries(ui.checks)) box.checked = m[key as keyof typeof ui.checks];
  ui.batch.value = String(m.batch);
  ui.grep.value = "";
}

/** The options the form describes, in runBench's terms; throws naming the field that is wrong. */
function readOptions(): { options: BenchOptions; full: boolean } {
  const c = ui.checks;
  const batch = Number(ui.batch.value);
  if (!Number.isInteger(batch) || batch < 2 || batch > 1024) throw new Error(`Batch must be a whole number from 2 to 1024, got "${ui.batch.value}"`);
  const presets = (["fast", "paper"] as const).filter((p) => c[p].checked);
  const backends = [...(c.tfjsCpu.checked ? ["cpu" as const] : []), ...(c.tfjsWebgpu.checked ? ["webgpu" as const] : [])];
  const parts = [...(c.kernels.checked ? ["kernels"] : []), ...(c.iteration.checked || backends.length ? ["iteration"] : []), ...(backends.length ? ["tfjs"] : [])];
  if (!presets.length && (c.kernels.checked || parts.includes("iteration"))) throw new Error("Choose at least one preset");
  const quick = mode() === "quick";
  const grep = ui.grep.value.trim() || undefined;
  const options: BenchOptions = {
    parts, presets, batch, quick, grep,
    iterationBatches: [...new Set([32, batch])], // as npm run bench: npm start's batch beside the chosen one
    iterations: quick ? { fast: 1, paper: 1 } : { fast: 3, paper: 1 },
    phases: quick ? "none" : "auto",
    tfjs: { configs: ["fast"], backends, iterations: { cpu: 1, webgpu: 1 } },
  };
  const m = MODES.full;
  const full = !quick && !grep && batch === m.batch && Object.entries(m).every(([k, v]) => k === "batch" || c[k as keyof typeof c].checked === v);
  return { options, full };
}

function setBusy(busy: boolean): void {
  document.body.dataset.phase = busy ? "running" : run?.finished ?? "idle";
  ui.run.disabled = busy;
  ui.cancel.disabled = !busy;
  ui.download.disabled = busy || !run?.results.adapter;
  document.querySelectorAll<HTMLInputElement>("#setup input").forEach((el) => (el.disabled = busy));
}

function logLine(line: string): void {
  ui.log.textContent += `${line}\n`;
  if (run && /^[a-z]/.test(line)) run.step = line.replace(/:$/, "");
  drawStatus();
}

function drawStatus(): void {
  if (!run) return;
  const elapsed = duration(performance.now() - run.startedMs);
  const kernels = run.total ? `, kernel ${run.done} of ${run.total}` : "";
  const text = { running: `running: ${run.step}${kernels} (${elapsed})`, done: `done in ${elapsed}`, cancelled: `cancelled after ${elapsed}`, failed: `failed after ${elapsed}` };
  ui.status.textContent = text[run.finished];
  // Progress: the roofline, the kernel passes, then each iteration config and TF.js backend, equally weighted by count.
  const r = run.results;
  const o = r.options as BenchOptions;
  const batches = (o.iterationBatches ?? [o.batch]).length;
  const planned = 1 + (run.total || (o.parts.includes("kernels") ? 1 : 0)) + batches * ((o.parts.includes("iteration") ? o.presets.length : 0) + (o.parts.includes("tfjs") ? o.tfjs.backends.length : 0));
  const done = (r.roofline ? 1 : 0) + (r.kernels.length || run.done) + r.iterations.length + r.tfjs.length;
  ui.progress.value = run.finished === "done" ? 1 : Math.min(done / planned, 0.99);
}

async function startRun(): Promise<void> {
  let chosen: ReturnType<typeof readOptions>;
  try {
    chosen = readOptions();
  } catch (error) {
    ui.status.textContent = (error as Error).message;
    ui.status.classList.add("error");
    return;
  }
  ui.status.classList.remove("error");
  // Each run gets a fresh device (runBench calls init()); the previous run's device and its buffers go.
  try {
    runtime().device.destroy();
  } catch {
    // no run yet
  }
  const results = newResults({
    commit: __BUILD_COMMIT__, workingTreeDirty: __BUILD_DIRTY__, runner: "page", browser: browserName(), options: chosen.options,
    host: { platform: navigator.platform, cpus: navigator.hardwareConcurrency, userAgent: navigator.userAgent },
  });
  run = { results, kernels: [], done: 0, total: 0, step: "starting", controller: new AbortController(), startedMs: performance.now(), finished: "running", full: chosen.full };
  const current = run;
  ui.log.textContent = "";
  setBusy(true);
  drawAll();
  const ticker = setInterval(drawStatus, 1000);
  try {
    await runBench(chosen.options, {
      signal: current.controller.signal,
      environment: { userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency },
      log: logLine,
      record: async (section, data) => {
        recordResult(current.results, section, data);
        drawAll();
      },
      onKernel: (result, done, total) => {
        current.kernels.push(result);
        Object.assign(current, { done, total });
        drawKernels();
        drawRoofline();
        drawStatus();
      },
    });
    current.finished = "done";
  } catch (error) {
    current.finished = current.controller.signal.aborted ? "cancelled" : "failed";
    if (current.finished === "failed") logLine(`error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearInterval(ticker);
    finishResults(current.results);
    setBusy(false);
    drawAll();
  }
}

function browserName(): string {
  const ua = navigator.userAgent;
  const match = /(Edg|Chrome|Firefox|Version)\/([\d.]+)/.exec(ua);
  if (!match) return ua;
  const name = { Edg: "Edge", Chrome: "Chrome", Firefox: "Firefox", Version: "Safari" }[match[1]];
  return `${name} ${match[2]}`;
}

function download(): void {
  if (!run) return;
  const blob = new Blob([JSON.stringify(run.results, null, 2) + "\n"], { type: "application/json" });
  const a = html("a", { href: URL.createObjectURL(blob), download: resultsFileName(run.results, run.full && run.finished === "done") });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ---- drawing ----

const pct = (f: number | undefined) => (f !== undefined && Number.isFinite(f) ? `${(100 * f).toFixed(1)}%` : "–");
const fix = (v: number | undefined, d = 2) => (v !== undefined && Number.isFinite(v) ? v.toFixed(d) : "–");

function table(header: string[], rows: (string | Node)[][], className = ""): HTMLTableElement {
  return html("table", { class: `results ${className}` },
    html("thead", {}, html("tr", {}, ...header.map((h) => html("th", {}, h)))),
    html("tbody", {}, ...rows.map((r) => html("tr", {}, ...r.map((c) => html("td", {}, c))))));
}

function drawAll(): void {
  drawAdapter();
  drawRoofline();
  drawKernels();
  drawIterations();
  drawStatus();
}

function drawAdapter(): void {
  const a = run?.results.adapter;
  if (!a) return;
  byId("adapter").textContent = `adapter: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(" / ")}`;
  const rows: string[][] = [["vendor", a.vendor], ["architecture", a.architecture], ["device", a.device || "–"], ["description", a.description || "–"],
    ...Object.entries(a.limits ?? {}).map(([k, v]) => [k, v.toLocaleString("en")]), ["features", a.features.join(", ")]];
  byId("adapter-table").replaceChildren(table(["", ""], rows, "facts"));
}

/** Kernel passes to show: the final record once it came, the live ones before. */
const kernelRows = (): KernelResult[] => (run ? (run.results.kernels.length ? run.results.kernels : run.kernels) : []);

function drawKernels(): void {
  const ks = kernelRows();
  if (!ks.length) return;
  byId("kernels-table").replaceChildren(table(
    ["kernel", "pass", "shape", "used by", "ms", "GFLOP/s or GB/s", "of roofline"],
    ks.map((k) => [k.name, k.pass, k.shape, k.usedBy, k.error ? "error" : fix(k.ms, 3),
      k.error ? k.error.slice(0, 80) : k.gflops !== undefined ? `${fix(k.gflops)} GFLOP/s` : `${fix(k.gbps)} GB/s`, pct(k.fraction)]),
    "kernels"));
}

const GROUP_COLORS: Record<string, string> = {
  conv2d: "#1f77b4", convTranspose2d: "#2ca02c", linear: "#9467bd", batchNorm: "#ff7f0e", adam: "#d62728", elementwise: "#8c564b",
};

/** A kernel pass's place on the roofline chart: FLOP per byte and GFLOP/s. */
function rooflinePoint(k: KernelResult): { x: number; y: number } | null {
  if (k.error || !k.intensity || !Number.isFinite(k.ms)) return null;
  if (k.gflops !== undefined) return { x: k.intensity, y: k.gflops };
  return k.gbps !== undefined ? { x: k.intensity, y: k.gbps * k.intensity } : null;
}

function drawRoofline(): void {
  const roof = run?.results.roofline;
  const chart = byId("roofline-chart") as unknown as SVGSVGElement;
  chart.replaceChildren();
  if (!roof) return;
  byId("roofline-values").textContent = `FMA throughput ${fix(roof.fmaGflops)} GFLOP/s, copy bandwidth ${fix(roof.copyGBps)} GB/s (ridge at ${fix(roof.fmaGflops / roof.copyGBps, 1)} FLOP/byte).`;
  const points = kernelRows().map((k) => ({ k, p: rooflinePoint(k) })).filter((e): e is { k: KernelResult; p: { x: number; y: number } } => e.p !== null);
  const W = 720, H = 360, left = 60, right = 150, top = 12, bottom = 40;
  const xs = [1 / 16, 1024];
  const ys = [Math.min(roof.copyGBps / 16, ...points.map((e) => e.p.y)) / 2, roof.fmaGflops * 2];
  const lx = (v: number) => left + ((Math.log10(v) - Math.log10(xs[0])) / (Math.log10(xs[1]) - Math.log10(xs[0]))) * (W - left - right);
  const ly = (v: number) => top + (1 - (Math.log10(v) - Math.log10(ys[0])) / (Math.log10(ys[1]) - Math.log10(ys[0]))) * (H - top - bottom);
  svg("rect", { x: left, y: top, width: W - left - right, height: H - top - bottom, fill: "none", stroke: "#d9dde3" }, chart);
  for (let e = Math.ceil(Math.log10(xs[0])); e <= Math.log10(xs[1]); e++) {
    svg("line", { x1: lx(10 ** e), x2: lx(10 ** e), y1: top, y2: H - bottom, stroke: "#eef0f3" }, chart);
    svgText(e < 0 ? `${10 ** e}` : String(10 ** e), { x: lx(10 ** e), y: H - bottom + 14, "text-anchor": "middle", class: "axis" }, chart);
  }
  for (let e = Math.ceil(Math.log10(ys[0])); e <= Math.log10(ys[1]); e++) {
    svg("line", { x1: left, x2: W - right, y1: ly(10 ** e), y2: ly(10 ** e), stroke: "#eef0f3" }, chart);
    svgText(String(10 ** e), { x: left - 6, y: ly(10 ** e) + 4, "text-anchor": "end", class: "axis" }, chart);
  }
  svgText("FLOP per byte (log)", { x: (left + W - right) / 2, y: H - 6, "text-anchor": "middle", class: "axis" }, chart);
  svgText("GFLOP/s (log)", { x: 14, y: (top + H - bottom) / 2, transform: `rotate(-90 14 ${(top + H - bottom) / 2})`, "text-anchor": "middle", class: "axis" }, chart);
  // The roof: bandwidth-bound up to the ridge, then flat at the FMA throughput.
  const ridge = roof.fmaGflops / roof.copyGBps;
  const roofPath = [[xs[0], xs[0] * roof.copyGBps], [ridge, roof.fmaGflops], [xs[1], roof.fmaGflops]].map(([x, y]) => `${lx(x).toFixed(1)},${ly(y).toFixed(1)}`).join(" ");
  svg("polyline", { points: roofPath, fill: "none", stroke: "#1d1f23", "stroke-width": 1.5 }, chart);
  for (const { k, p } of points) {
    const dot = svg("circle", { cx: lx(Math.min(Math.max(p.x, xs[0]), xs[1])), cy: ly(p.y), r: 4, fill: GROUP_COLORS[k.group] ?? "#555", opacity: 0.8, class: "kernel-point" }, chart);
    svgText(`${k.name} ${k.pass}: ${fix(p.y)} GFLOP/s at ${fix(p.x, 2)} FLOP/byte, ${pct(k.fraction)} of its roof`, {}, svg("title", {}, dot));
  }
  Object.entries(GROUP_COLORS).forEach(([group, color], i) => {
    svg("circle", { cx: W - right + 16, cy: top + 10 + 18 * i, r: 4, fill: color }, chart);
    svgText(group, { x: W - right + 26, y: top + 14 + 18 * i, class: "axis" }, chart);
  });
}

function drawIterations(): void {
  const r = run?.results;
  if (!r) return;
  const its = r.iterations;
  if (its.length || r.tfjs.length) {
    const rows: string[][] = its.map((it) => "error" in it
      ? [it.name, "engine", "error", "", "", it.error.slice(0, 80)]
      : [`${it.name} (C ${it.config.base}, d ${it.config.latent}, batch ${it.config.batch}, K ${it.config.miningSteps})`, "this engine", fix(it.ms, 0), fix(it.gflops), pct(it.fraction), ""]);
    for (const t of r.tfjs) {
      const engine = its.find((it) => !("error" in it) && it.name === t.config.name && it.config.batch === t.config.batch) as { ms: number } | undefined;
      const error = (t as { error?: string }).error;
      rows.push(error !== undefined || !("ms" in t)
        ? [`${t.config.name}, batch ${t.config.batch}`, `TF.js ${t.backend}`, "error", "", "", (error ?? "").slice(0, 80)]
        : [`${t.config.name}, batch ${t.config.batch}`, `TF.js ${t.backend}`, fix(t.ms, 0), "", "", engine ? `this engine is ${fix(t.ms / engine.ms, 1)}x faster` : ""]);
    }
    byId("iterations-table").replaceChildren(table(["config", "engine", "ms / iteration", "GFLOP/s", "of FMA roofline", "against TF.js"], rows, "iterations"));
  }
  const timed = r.tuning ?? its.flatMap((it) => ("kernelChoices" in it ? it.kernelChoices : []));
  if (timed.length) {
    byId("choices-table").replaceChildren(table(["pass", "shape", "variants (ms)", "chosen"],
      timed.map((c) => [c.family, c.shape, Object.entries(c.ms).map(([v, ms]) => `${v} ${fix(ms)}`).join(", "), c.chosen])));
  }
}

// ---- compare ----

async function readResultsFile(file: File): Promise<BenchResults> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await file.text());
  } catch {
    throw new Error(`${file.name} is not JSON`);
  }
  const r = parsed as Partial<BenchResults>;
  if (!r || typeof r !== "object" || !Array.isArray(r.kernels) || !Array.isArray(r.iterations) || !("roofline" in r)) {
    throw new Error(`${file.name} is not a benchmark results file (no kernels, iterations and roofline)`);
  }
  return r as BenchResults;
}

function label(r: BenchResults): string {
  const a = r.adapter;
  return `${a ? [a.vendor, a.architecture].filter(Boolean).join(" ") : "unknown adapter"}, ${r.runner === "page" ? r.browser ?? "a browser" : r.runner}, ${r.date.slice(0, 10)}`;
}

function drawCompare(message = ""): void {
  const out = byId("compare-table");
  const { a, b } = compared;
  if (!a || !b) {
    out.replaceChildren(html("p", { class: message ? "error" : "note" }, message || `Load ${a ? "B" : b ? "A" : "two files"} to compare.`));
    return;
  }
  const ratio = (x: number | undefined, y: number | undefined, higherIsBetter: boolean) => {
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y) || x <= 0 || y <= 0) return "–";
    const r = higherIsBetter ? x / y : y / x;
    return `${r >= 1 ? fix(r, r >= 10 ? 0 : 2) : fix(r, 3)}x`;
  };
  const rows: string[][] = [
    ["roofline", "FMA GFLOP/s", fix(a.roofline?.fmaGflops), fix(b.roofline?.fmaGflops), ratio(a.roofline?.fmaGflops, b.roofline?.fmaGflops, true)],
    ["roofline", "copy GB/s", fix(a.roofline?.copyGBps), fix(b.roofline?.copyGBps), ratio(a.roofline?.copyGBps, b.roofline?.copyGBps, true)],
  ];
  const okIts = (r: BenchResults) => r.iterations.filter((it): it is Exclude<typeof it, { error: string }> => !("error" in it));
  for (const it of okIts(a)) {
    const other = okIts(b).find((x) => x.name === it.name && x.config.batch === it.config.batch);
    if (other) rows.push([`iteration ${it.name}, batch ${it.config.batch}`, "ms", fix(it.ms, 0), fix(other.ms, 0), ratio(it.ms, other.ms, false)]);
  }
  for (const k of a.kernels.filter((k) => !k.error)) {
    const other = b.kernels.find((x) => !x.error && x.name === k.name && x.pass === k.pass && x.shape === k.shape);
    if (other) rows.push([`${k.name} (${k.shape})`, `${k.pass} ms`, fix(k.ms, 3), fix(other.ms, 3), ratio(k.ms, other.ms, false)]);
  }
  out.replaceChildren(
    html("p", { class: "note" }, `A: ${label(a)} (${compared.names[0]}). B: ${label(b)} (${compared.names[1]}). "A over B": how many times faster A is (below 1: slower). Rows are the measurements both files hold.`),
    table(["what", "unit", "A", "B", "A over B"], rows, "compare"));
}

async function loadCompare(slot: 0 | 1, source: () => Promise<{ results: BenchResults; name: string }>): Promise<void> {
  try {
    const { results, name } = await source();
    compared[slot === 0 ? "a" : "b"] = results;
    compared.names[slot] = name;
    drawCompare();
  } catch (error) {
    compared[slot === 0 ? "a" : "b"] = null;
    drawCompare((error as Error).message);
  }
}

function wireCompare(): void {
  for (const [slot, id] of [[0, "compare-a"], [1, "compare-b"]] as const) {
    const input = byId<HTMLInputElement>(id);
    input.addEventListener("change", () => {
      const file = input.files?.[0];
      if (file) void loadCompare(slot, async () => ({ results: await readResultsFile(file), name: file.name }));
    });
  }
  byId("compare-this").addEventListener("click", () => void loadCompare(0, async () => {
    if (!run?.results.adapter) throw new Error("No run on this page yet: press Run first");
    return { results: run.results, name: "this page's run" };
  }));
  byId("compare-reference").addEventListener("click", () => void loadCompare(1, async () => {
    const response = await fetch(REFERENCE_FILE);
    if (!response.ok) throw new Error(`${REFERENCE_FILE}: HTTP ${response.status}`);
    return { results: await readResultsFile(new File([await response.text()], "swiftshader.json")), name: "bench/results/swiftshader.json" };
  }));
}

// ---- start ----

async function start(): Promise<void> {
  const gpu = navigator.gpu;
  const adapter = await gpu?.requestAdapter({ powerPreference: "high-performance" }).catch(() => null);
  byId("loading").hidden = true;
  if (!adapter) {
    byId("no-webgpu-reason").textContent = gpu ? "requestAdapter() found no adapter." : "navigator.gpu is missing: this browser or this page's address has no WebGPU.";
    byId("no-webgpu").hidden = false;
    document.body.dataset.phase = "no-webgpu";
    return;
  }
  const info = adapter.info;
  byId("adapter").textContent = `adapter: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(" / ")}`;
  // Before a run, the adapter's own limits (a run reports those its device was granted).
  byId("adapter-table").replaceChildren(table(["", ""], [["vendor", info.vendor], ["architecture", info.architecture], ["description", info.description || "–"],
    ...REPORTED_LIMITS.map((k) => [k, adapter.limits[k].toLocaleString("en")]), ["features", [...adapter.features].sort().join(", ")]], "facts"));
  byId("bench").hidden = false;
  document.querySelectorAll<HTMLInputElement>("input[name=mode]").forEach((radio) => radio.addEventListener("change", applyMode));
  applyMode();
  ui.run.addEventListener("click", () => void startRun());
  ui.cancel.addEventListener("click", () => run?.controller.abort(new Error("cancelled")));
  ui.download.addEventListener("click", download);
  wireCompare();
  drawCompare();
  document.body.dataset.phase = "idle";
}

void start();
