// The training page (npm run app): train OCGAN, or a baseline auto-encoder, on
// one MNIST digit on this browser's WebGPU device and watch it learn.
//
// It drives the same code as the command line: src/ocgan's train() with its
// hooks (progress, pause, stop, checkpoints), evaluate(), and the safetensors
// checkpoints. What it adds is only display: SVG charts, canvas grids, the
// latent explorer and the recorded computation graph. Training yields to the
// event loop after every iteration, so the page stays responsive; images are
// read back from the GPU only every N iterations and at each epoch's end.
import { init } from "../src/index.js";
import { fromData, type Tensor } from "../src/autograd/tensor.js";
import { parseMnist, splitDigit, toModelInput, type MnistDataset } from "../src/ocgan/data.js";
import { makeConfig, presets, sameRun, type OcganConfig, type ModelKind } from "../src/ocgan/config.js";
import { OcganModel, type LossName } from "../src/ocgan/step.js";
import { train, type Losses, type TrainHooks } from "../src/ocgan/train.js";
import { evaluate, type Evaluation } from "../src/ocgan/evaluate.js";
import { loadCheckpoint, readCheckpointHeader, freshProgress, stopReason, type TrainingProgress } from "../src/ocgan/checkpoint.js";
import { byId, html, duration, num, nextTurn } from "./dom.js";
import { drawLineChart, drawBarChart, type LineSeries } from "./charts.js";
import { paintGrid, interleaveRows } from "./grids.js";
import { FigureSampler, IN_CLASS, RANDOM } from "./figures.js";
import { captureGraph, drawGraph, describeNode, NET_COLORS, type GraphSnapshot, type GraphView } from "./graph.js";
import { LatentExplorer } from "./explorer.js";

type Phase = "loading" | "no-webgpu" | "idle" | "training" | "paused" | "evaluating" | "done" | "stopped" | "error";

/** One model trained (or loaded) on this page. */
interface Run {
  label: string;
  model: OcganModel;
  progress: TrainingProgress;
  /** The checkpoints train() handed over: after the last finished epoch, and at the best one. */
  last: Uint8Array | null;
  best: Uint8Array | null;
  /** Losses of every iteration trained on this page, with its epoch (0-based). */
  history: { epoch: number; losses: Losses }[];
  validation: number[];
  evaluation: Evaluation | null;
  /** Epoch whose weights the model holds now (after model selection it may be the best, not the last). */
  weightsEpoch: number;
}

const COLORS: Record<LossName, string> = {
  classifier: "#e377c2", latentDisc: "#9467bd", visualDisc: "#8c564b", genMse: "#2ca02c", genLatent: "#1f77b4", genVisual: "#ff7f0e",
};
const PRESET_NOTES: Record<string, string> = {
  tiny: "tiny: narrow nets (C = 4, d = 8), seconds per epoch even on a software GPU; for trying things out",
  fast: "fast: C = 8, d = 16, batch 32, lr 1e-3; minutes per epoch on a software GPU, seconds on a real one",
  paper: "paper: the paper's widths (C = 64, d = 16), until the validation MSE stops improving; wants a real GPU",
};

// ---- page state ----
let dataset: MnistDataset;
let adapterName = "";
let main: Run | null = null;
let baseline: Run | null = null;
/** The settings of a loaded checkpoint that the controls do not show (lr, lambda, ...), kept for its preset. */
let loadedConfig: OcganConfig | null = null;
let busy = false;
/** True from Train until training and evaluation end (busy also covers loading and Evaluate). */
let training = false;
let pauseRequested = false;
let stopRequested = false;
let resumeTraining: (() => void) | null = null;
let graph: GraphSnapshot | null = null;
let graphView: GraphView | null = null;
let graphAnimation: ReturnType<typeof setTimeout> | null = null;
const objectUrls: string[] = [];

const ui = {
  digit: byId<HTMLSelectElement>("digit"),
  model: byId<HTMLSelectElement>("model"),
  preset: byId<HTMLSelectElement>("preset"),
  presetNote: byId("preset-note"),
  epochs: byId<HTMLInputElement>("epochs"),
  patience: byId<HTMLInputElement>("patience"),
  batch: byId<HTMLInputElement>("batch"),
  seed: byId<HTMLInputElement>("seed"),
  baseline: byId<HTMLInputElement>("baseline"),
  refresh: byId<HTMLInputElement>("refresh"),
  start: byId<HTMLButtonElement>("start"),
  pause: byId<HTMLButtonElement>("pause"),
  stop: byId<HTMLButtonElement>("stop"),
  evaluate: byId<HTMLButtonElement>("evaluate"),
  phase: byId("phase"),
  message: byId("message"),
  downloads: byId("downloads"),
  load: byId<HTMLInputElement>("load"),
  capture: byId<HTMLButtonElement>("capture"),
  playBackward: byId<HTMLButtonElement>("play-backward"),
  explorerModel: byId<HTMLSelectElement>("explorer-model"),
};

/** Clock for throughput and time left that stands still while paused. */
const clock = {
  pausedAt: null as number | null,
  pausedTotal: 0,
  now(): number {
    const t = performance.now();
    return t - this.pausedTotal - (this.pausedAt === null ? 0 : t - this.pausedAt);
  },
  pause(): void {
    this.pausedAt ??= performance.now();
  },
  resume(): void {
    if (this.pausedAt !== null) this.pausedTotal += performance.now() - this.pausedAt;
    this.pausedAt = null;
  },
};

function setPhase(phase: Phase, text?: string): void {
  document.body.dataset.phase = phase;
  ui.phase.textContent = text ?? phase;
}

function say(text: string, isError = false): void {
  ui.message.textContent = text;
  ui.message.classList.toggle("error", isError);
}

function fail(error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  console.error(e);
  setPhase("error", "error");
  const lost = /device lost|destroyed/i.test(e.message);
  say(`${e.name === "Error" ? "" : `${e.name}: `}${e.message}` +
    (lost ? "\nThe GPU device is gone: save the checkpoints listed below, reload the page and load the last one to go on." : ""), true);
}

// ---- setup: WebGPU, data, controls ----

function showNoWebGpu(reason: string): void {
  byId("loading").hidden = true;
  byId("app").hidden = true;
  byId("no-webgpu").hidden = false;
  byId("no-webgpu-reason").textContent = reason;
  setPhase("no-webgpu");
}

async function boot(): Promise<void> {
  if (!window.isSecureContext) {
    showNoWebGpu(`This page was opened from ${location.origin}, which is not a secure context, so the browser hides navigator.gpu. Open it from http://127.0.0.1 (npm run app), http://localhost or https.`);
    return;
  }
  if (!("gpu" in navigator) || !navigator.gpu) {
    showNoWebGpu("navigator.gpu is undefined: this browser does not offer WebGPU, or it is switched off.");
    return;
  }
  let info;
  try {
    info = await init();
  } catch (error) {
    showNoWebGpu(`The browser has WebGPU, but no GPU adapter could be obtained: ${(error as Error).message}`);
    return;
  }
  adapterName = [info.vendor, info.architecture, info.description].filter(Boolean).join(" / ") || "unknown adapter";
  byId("adapter").textContent = `WebGPU adapter: ${adapterName}`;
  const response = await fetch("data/mnist.bin");
  if (!response.ok) throw new Error(`could not load data/mnist.bin (HTTP ${response.status}); run \`node build.mjs\``);
  dataset = parseMnist(await response.arrayBuffer());
  setUpControls();
  byId("loading").hidden = true;
  byId("app").hidden = false;
  setPhase("idle", "ready: pick a digit and press Train");
  explorer.setModel(null);
}

function setUpControls(): void {
  for (let d = 0; d < 10; d++) {
    const n = splitDigit(dataset, d).train.length;
    ui.digit.append(html("option", { value: d }, `${d}  (${n} training images)`));
  }
  ui.digit.value = "8";
  for (const name of Object.keys(presets)) ui.preset.append(html("option", { value: name }, name));
  ui.preset.value = "tiny";
  const applyPreset = () => {
    const p = presets[ui.preset.value] ?? loadedConfig;
    if (!p) return;
    ui.epochs.value = String(p.epochs);
    ui.patience.value = String(p.patience);
    ui.batch.value = String(p.batch);
    ui.presetNote.textContent = PRESET_NOTES[ui.preset.value] ?? `${ui.preset.value}: from a loaded checkpoint`;
  };
  ui.seed.value = "1";
  applyPreset();
  ui.preset.addEventListener("change", () => {
    applyPreset();
    updateButtons();
  });
  ui.model.addEventListener("change", updateButtons);
  for (const input of [ui.digit, ui.epochs, ui.patience, ui.batch, ui.seed]) input.addEventListener("input", updateButtons);
  const nets = byId("graph").querySelector(".legend.nets")!;
  nets.replaceChildren(...Object.entries(NET_COLORS).map(([name, color]) => html("span", {}, html("span", { class: "key", style: `background:${color}` }), ` ${name}`)));

  ui.start.addEventListener("click", () => void startTraining());
  ui.pause.addEventListener("click", togglePause);
  ui.stop.addEventListener("click", () => {
    stopRequested = true;
    ui.stop.disabled = true;
    if (resumeTraining) togglePause();
  });
  ui.evaluate.addEventListener("click", () => void evaluateNow());
  ui.load.addEventListener("change", () => void loadFromFile());
  ui.capture.addEventListener("click", () => void captureOneStep());
  ui.playBackward.addEventListener("click", playBackward);
  ui.explorerModel.addEventListener("change", showExplorerModel);
  updateButtons();
  drawLossCharts();
  drawResults();
}

/** The settings the controls describe; throws with a message naming the field. */
function readConfig(): OcganConfig {
  const integer = (input: HTMLInputElement, what: string, lo: number, hi: number) => {
    const v = Number(input.value);
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${what} must be a whole number from ${lo} to ${hi}, got "${input.value}"`);
    return v;
  };
  const digit = Number(ui.digit.value);
  const trainCount = splitDigit(dataset, digit).train.length;
  const preset = ui.preset.value;
  const overrides: Partial<OcganConfig> = {
    digit,
    model: ui.model.value as ModelKind,
    epochs: integer(ui.epochs, "Epochs", 1, 1000),
    patience: integer(ui.patience, "Patience", 0, 1000),
    batch: integer(ui.batch, "Batch", 1, trainCount),
    seed: integer(ui.seed, "Seed", 0, 2 ** 31 - 1),
  };
  if (loadedConfig && loadedConfig.preset === preset) {
    // Keep what a loaded checkpoint set beyond the controls (learning rate, lambda, ablations).
    const { preset: _p, ...rest } = loadedConfig;
    if (!presets[preset]) return { ...rest, ...overrides, preset } as OcganConfig;
    return makeConfig(preset, { ...rest, ...overrides });
  }
  return makeConfig(preset, overrides);
}

/** Whether Train continues `main` (same settings, a checkpoint, epochs left) rather than starting afresh. */
function resumable(config: OcganConfig | null): boolean {
  return !!(config && main?.last && sameRun(main.model.config, config) && stopReason(main.progress, config) === null);
}

function tryConfig(): OcganConfig | null {
  try {
    return readConfig();
  } catch {
    return null;
  }
}

function updateButtons(): void {
  const config = dataset ? tryConfig() : null;
  ui.start.disabled = busy;
  ui.start.textContent = training ? "Training…" : resumable(config) ? `Resume from epoch ${main!.progress.epoch}` : "Train";
  ui.pause.disabled = !training || stopRequested;
  ui.stop.disabled = !training || stopRequested;
  ui.evaluate.disabled = busy || !main;
  ui.load.disabled = busy;
  for (const el of [ui.digit, ui.model, ui.preset, ui.epochs, ui.patience, ui.batch, ui.seed]) el.disabled = busy;
  ui.baseline.disabled = busy || ui.model.value !== "ocgan";
}

// ---- training ----

function togglePause(): void {
  if (resumeTraining) {
    const resume = resumeTraining;
    resumeTraining = null;
    pauseRequested = false;
    ui.pause.textContent = "Pause";
    clock.resume();
    resume();
  } else if (training) {
    pauseRequested = true;
    ui.pause.textContent = "Resume";
    say("pausing after this iteration…");
  }
}

function disposeRun(run: Run | null): void {
  run?.model.dispose();
}

function newRun(label: string, model: OcganModel): Run {
  return { label, model, progress: freshProgress(), last: null, best: null, history: [], validation: [], evaluation: null, weightsEpoch: 0 };
}

function modelLabel(c: OcganConfig): string {
  return c.model === "ocgan" ? "OCGAN" : c.model === "ae" ? "AE" : "DAE";
}

async function startTraining(): Promise<void> {
  let config: OcganConfig;
  try {
    config = readConfig();
  } catch (error) {
    say((error as Error).message, true);
    return;
  }
  busy = training = true;
  stopRequested = false;
  pauseRequested = false;
  say("");
  updateButtons();
  try {
    explorer.setModel(null);
    disposeRun(baseline);
    baseline = null;
    if (resumable(config)) {
      // Continue from the last finished epoch exactly as the command line's --resume does.
      const previous = main!;
      const model = new OcganModel(config);
      let header;
      try {
        header = loadCheckpoint(model, previous.last!, "last.safetensors");
      } catch (error) {
        model.dispose();
        throw error;
      }
      disposeRun(previous);
      main = { ...previous, model, progress: header.progress, evaluation: null, history: previous.history.filter((h) => h.epoch < header.progress.epoch) };
      main.validation = main.validation.slice(0, header.progress.epoch);
    } else {
      disposeRun(main);
      main = newRun(modelLabel(config), new OcganModel(config));
    }
    loadedConfig = null;
    clearResults();
    setExplorerModels(); // the explorer decodes with the weights as they train
    const wantBaseline = ui.baseline.checked && config.model === "ocgan";
    const finished = await trainRun(main, true, wantBaseline ? ", then the AE baseline" : "");
    if (finished) {
      await selectAndEvaluate(main);
      if (wantBaseline && !stopRequested) {
        baseline = newRun("AE baseline", new OcganModel({ ...config, model: "ae", latentDisc: false, visualDisc: false, classifier: false, sigma: 0 }));
        drawResults();
        setExplorerModels();
        if (await trainRun(baseline, false)) await selectAndEvaluate(baseline);
      }
    }
    await showFigures(main);
    if (stopRequested) {
      setPhase("stopped", `stopped at epoch ${main.progress.epoch} (checkpoint), weights of the iteration it stopped at`);
    } else {
      setPhase("done", "done");
      say(resultSummary());
    }
  } catch (error) {
    fail(error);
  } finally {
    busy = training = false;
    pauseRequested = false;
    resumeTraining = null;
    ui.pause.textContent = "Pause";
    updateButtons();
    updateDownloads();
    setExplorerModels();
  }
}

/** Trains `run` until it stops by its patience or at its config's epochs; false when stopped by the user. */
async function trainRun(run: Run, captureGraphOnce: boolean, then = ""): Promise<boolean> {
  const model = run.model;
  const c = model.config;
  const split = splitDigit(dataset, c.digit);
  const data = { train: toModelInput(dataset.images, split.train), validation: toModelInput(dataset.images, split.validation) };
  const iterationsPerEpoch = Math.floor(split.train.length / c.batch);
  const sampler = new FigureSampler(dataset, c.digit, c.seed);
  const refreshEvery = Math.max(1, Math.floor(Number(ui.refresh.value)) || 20);
  const startEpoch = run.progress.epoch;
  const times: number[] = [];
  let lastStatus = 0;
  let lastChart = 0;
  setPhase("training", `training ${run.label}`);
  if (captureGraphOnce) {
    model.onGeneratorLoss = (loss) => {
      model.onGeneratorLoss = null;
      setGraph(captureGraph(loss, parameterNames(model), graphTitle(c)));
    };
  }
  const status = (epoch: number, iteration: number) => {
    const done = (epoch - startEpoch) * iterationsPerEpoch + iteration;
    const left = (c.epochs - startEpoch) * iterationsPerEpoch - done;
    // Seconds per iteration over the last 20 (the first includes compiling the kernels).
    const recent = times.slice(-21);
    const perIteration = recent.length > 1 ? (recent[recent.length - 1] - recent[0]) / (recent.length - 1) : NaN;
    byId("s-epoch").textContent = `${epoch + 1} / ${c.epochs}`;
    byId("s-iteration").textContent = `${iteration} / ${iterationsPerEpoch}`;
    byId("s-elapsed").textContent = duration(times.length ? times[times.length - 1] - times[0] : 0);
    // With a patience the run may stop earlier: the cap's time is an upper bound.
    byId("s-left").textContent = Number.isFinite(perIteration) ? `${c.patience > 0 ? "at most " : ""}${duration(left * perIteration)}${then}` : "–";
    byId("s-throughput").textContent = Number.isFinite(perIteration)
      ? `${(c.batch / (perIteration / 1000)).toFixed(0)} images/s · ${(perIteration / 1000).toFixed(2)} s/iteration`
      : "–";
  };
  clock.resume();
  times.push(clock.now());
  const hooks: TrainHooks = {
    now: () => clock.now(),
    onIteration: async (info) => {
      run.history.push({ epoch: info.epoch, losses: info.losses });
      times.push(clock.now());
      const t = performance.now();
      const last = info.iteration + 1 === iterationsPerEpoch;
      if (t - lastStatus > 100 || last) {
        lastStatus = t;
        status(info.epoch, info.iteration + 1);
      }
      if (t - lastChart > 400 || last) {
        lastChart = t;
        drawLossCharts();
      }
      if ((info.iteration + 1) % refreshEvery === 0 && !last) await showFigures(run, `epoch ${info.epoch + 1}, iteration ${info.iteration + 1}`, sampler);
      if (pauseRequested && !stopRequested) {
        clock.pause();
        setPhase("paused", `paused: ${run.label}, epoch ${info.epoch + 1}, iteration ${info.iteration + 1}`);
        say("paused: the explorer and the graph still work; Resume continues with the next iteration.");
        await new Promise<void>((resolve) => (resumeTraining = resolve));
        setPhase("training", `training ${run.label}`);
        say("");
      }
      await nextTurn(); // let clicks, slider moves and painting in
    },
    onEpoch: async (info) => {
      run.progress = info.progress;
      run.weightsEpoch = info.progress.epoch;
      run.validation.push(info.validationMse);
      byId("s-validation").textContent = `${num(info.validationMse)} (epoch ${info.epoch + 1}${info.improved ? ", best so far" : ""})`;
      updateDownloads();
      updateButtons();
      drawLossCharts();
      await showFigures(run, `end of epoch ${info.epoch + 1}`, sampler);
    },
    saveCheckpoint: async (bytes, kind) => {
      run[kind] = bytes;
    },
    shouldStop: () => stopRequested,
  };
  try {
    run.progress = await train(model, data, hooks, run.progress);
  } finally {
    model.onGeneratorLoss = null;
  }
  return !stopRequested;
}

/** Model selection as the command line does it (lowest in-class validation MSE), then both protocols. */
async function selectAndEvaluate(run: Run): Promise<void> {
  const p = run.progress;
  if (p.bestEpoch !== null && p.bestEpoch !== p.epoch && run.best) {
    loadCheckpoint(run.model, run.best, "best.safetensors");
    run.weightsEpoch = p.bestEpoch;
  }
  await evaluateRun(run);
}

async function evaluateRun(run: Run): Promise<void> {
  setPhase("evaluating", `evaluating ${run.label} (epoch ${run.weightsEpoch}) on every test digit`);
  await nextTurn();
  run.evaluation = await evaluate(run.model, dataset, run.model.config.digit, run.model.config.seed);
  drawResults();
}

async function evaluateNow(): Promise<void> {
  if (!main || busy) return;
  busy = true;
  updateButtons();
  try {
    for (const run of [main, baseline]) if (run) await evaluateRun(run);
    setPhase("done", "evaluated");
    say(resultSummary());
  } catch (error) {
    fail(error);
  } finally {
    busy = false;
    updateButtons();
  }
}

function resultSummary(): string {
  const runs = [main, baseline].filter((r): r is Run => !!r?.evaluation);
  return runs.map((r) => `${r.label}: Protocol 1 AUC ${r.evaluation!.protocol1.auc.toFixed(4)}, Protocol 2 AUC ${r.evaluation!.protocol2.auc.toFixed(4)}`).join("\n");
}

// ---- live views ----

/** Exponential moving average, for the thick line over the noisy per-iteration losses. */
function smooth(values: number[], alpha = 0.1): number[] {
  const out: number[] = [];
  let s = values[0] ?? 0;
  for (const v of values) out.push((s = s + alpha * (v - s)));
  return out;
}

function lossSeries(run: Run | null, names: LossName[], labels: Record<string, string>, dash?: string): LineSeries[] {
  if (!run || run.history.length === 0) return [];
  const xs = run.history.map((_, i) => i + 1);
  const active = names.filter((n) => run.history.some((h) => h.losses[n] !== 0));
  return active.flatMap((n) => {
    const ys = run.history.map((h) => h.losses[n]);
    const color = dash ? "#7f7f7f" : COLORS[n];
    return [
      { xs, ys, color, strokeWidth: 1, opacity: 0.3, dash },
      { xs, ys: smooth(ys), color, strokeWidth: 2, name: labels[n], dash },
    ];
  });
}

function drawLossCharts(): void {
  const off = (n: LossName) => (main && !main.history.some((h) => h.losses[n] !== 0) && main.history.length ? "switched off for this model" : "no iterations yet");
  const opts = { xLabel: "iteration", width: 300, height: 190 };
  drawLineChart(byId("chart-classifier") as unknown as SVGSVGElement, lossSeries(main, ["classifier"], { classifier: "BCE(real, 1) + BCE(generated, 0)" }), { ...opts, empty: off("classifier") });
  drawLineChart(byId("chart-latent") as unknown as SVGSVGElement, lossSeries(main, ["latentDisc"], { latentDisc: "BCE(u', 1) + BCE(En(x+n), 0)" }), { ...opts, empty: off("latentDisc") });
  drawLineChart(byId("chart-visual") as unknown as SVGSVGElement, lossSeries(main, ["visualDisc"], { visualDisc: "BCE(x, 1) + BCE(De(u), 0)" }), { ...opts, empty: off("visualDisc") });
  const generator = [
    ...lossSeries(main, ["genMse", "genLatent", "genVisual"], { genMse: "MSE", genLatent: "BCE(Dl, 1)", genVisual: "BCE(Dv, 1)" }),
    ...lossSeries(baseline, ["genMse"], { genMse: "AE MSE" }, "5 3"),
  ];
  drawLineChart(byId("chart-generator") as unknown as SVGSVGElement, generator, { ...opts, empty: "no iterations yet" });
}

const figureCanvases = {
  inClass: byId<HTMLCanvasElement>("grid-in"),
  outClass: byId<HTMLCanvasElement>("grid-out"),
  random: byId<HTMLCanvasElement>("grid-random"),
  mined: byId<HTMLCanvasElement>("grid-mined"),
};

/** Samples and paints the four image grids for `run` (one GPU readback). */
async function showFigures(run: Run, when?: string, sampler?: FigureSampler): Promise<void> {
  const c = run.model.config;
  const figures = await (sampler ?? new FigureSampler(dataset, c.digit, c.seed)).sample(run.model);
  paintGrid(figureCanvases.inClass, interleaveRows(figures.inClass, figures.inClassRecon, IN_CLASS, IN_CLASS), 2 * IN_CLASS, IN_CLASS, null);
  const outCount = figures.outDigits.length;
  paintGrid(figureCanvases.outClass, interleaveRows(figures.outClass, figures.outClassRecon, outCount, outCount), 2 * outCount, outCount, null);
  paintGrid(figureCanvases.random, figures.decoded, RANDOM, 8, null);
  const minedCaption = byId("mined-caption");
  if (figures.mined && figures.scoreBefore && figures.scoreAfter) {
    paintGrid(figureCanvases.mined, interleaveRows(figures.decoded, figures.mined, RANDOM, 8), 2 * RANDOM, 8, null);
    const mean = (v: Float32Array) => v.reduce((s, x) => s + x, 0) / v.length;
    minedCaption.textContent = `The same latents before (rows 1, 3) and after (rows 2, 4) informative-negative mining; ` +
      `the classifier's mean in-class score drops from ${num(mean(figures.scoreBefore))} to ${num(mean(figures.scoreAfter))}`;
  } else {
    const ctx = figureCanvases.mined.getContext("2d");
    ctx?.clearRect(0, 0, figureCanvases.mined.width, figureCanvases.mined.height);
    minedCaption.textContent = `${run.label} has no classifier, so there is no informative-negative mining.`;
  }
  byId("figures-caption").textContent = `Showing ${run.label}, digit ${c.digit}, ${when ?? `weights of epoch ${run.weightsEpoch}`} (eval mode: batch-norm running statistics).`;
}

function clearResults(): void {
  for (const run of [main, baseline]) if (run) run.evaluation = null;
  drawResults();
}

function drawResults(): void {
  const auc = byId("auc");
  auc.replaceChildren();
  const runs = [main, baseline].filter((r): r is Run => !!r?.evaluation);
  for (const r of runs) {
    const e = r.evaluation!;
    auc.append(html("div", { class: "card", "data-model": r.label },
      html("div", {}, `${r.label}, digit ${r.model.config.digit}, epoch ${r.weightsEpoch}`),
      html("div", {}, "Protocol 1 AUC ", html("b", {}, e.protocol1.auc.toFixed(4)), `  (${e.protocol1.positives} in / ${e.protocol1.negatives} out)`),
      html("div", {}, "Protocol 2 AUC ", html("b", {}, e.protocol2.auc.toFixed(4)), `  (${e.protocol2.positives} in / ${e.protocol2.negatives} out)`)));
  }
  const roc = (id: string, run: Run | null, empty: string) => {
    const e = run?.evaluation;
    const series: LineSeries[] = e
      ? [
        { xs: e.protocol1.roc.fpr, ys: e.protocol1.roc.tpr, color: "#1f77b4", name: `Protocol 1, AUC ${e.protocol1.auc.toFixed(3)}` },
        { xs: e.protocol2.roc.fpr, ys: e.protocol2.roc.tpr, color: "#d62728", name: `Protocol 2, AUC ${e.protocol2.auc.toFixed(3)}` },
      ]
      : [];
    drawLineChart(byId(id) as unknown as SVGSVGElement, series, {
      xRange: [0, 1], yRange: [0, 1], diagonal: true, xLabel: "false-positive rate", yLabel: "true-positive rate", height: 260, empty, maxPoints: 2500,
    });
  };
  byId("roc-main-caption").textContent = main ? `ROC curve of ${main.label}` : "ROC curve";
  roc("roc-main", main, main ? "evaluated after training" : "train a model first");
  roc("roc-baseline", baseline, baseline ? "evaluated after its training" : "tick \"also train the AE baseline\" to compare");
  const digit = main?.model.config.digit ?? Number(ui.digit.value);
  drawBarChart(byId("bars") as unknown as SVGSVGElement, Array.from({ length: 10 }, (_, d) => String(d)),
    runs.map((r, i) => ({ name: r.label, color: i === 0 ? "#2457c5" : "#9aa1aa", values: r.evaluation!.perDigitMse })),
    { highlight: digit, yLabel: "mean MSE", xLabel: `test digit (in-class: ${digit})`, width: 640, height: 230 });
}

function updateDownloads(): void {
  for (const url of objectUrls.splice(0)) URL.revokeObjectURL(url);
  const links: HTMLElement[] = [];
  for (const run of [main, baseline]) {
    if (!run) continue;
    const c = run.model.config;
    const stem = `${c.model}-digit${c.digit}-${c.preset}`;
    for (const kind of ["last", "best"] as const) {
      const bytes = run[kind];
      if (!bytes) continue;
      const epoch = kind === "last" ? run.progress.epoch : run.progress.bestEpoch;
      const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
      objectUrls.push(url);
      links.push(html("a", { href: url, download: `${stem}-${kind}.safetensors`, class: `download-${kind}`, "data-model": run.label },
        `Save ${run.label} ${kind}.safetensors (epoch ${epoch}, ${(bytes.length / 1024).toFixed(0)} KB)`));
    }
  }
  ui.downloads.replaceChildren(...(links.length ? links : [html("span", { class: "note" }, "None yet: one is written at the end of each epoch.")]));
}

// ---- checkpoints ----

async function loadFromFile(): Promise<void> {
  const file = ui.load.files?.[0];
  if (!file || busy) return;
  busy = true;
  updateButtons();
  let model: OcganModel | null = null;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const header = readCheckpointHeader(bytes, file.name);
    model = new OcganModel(header.config);
    loadCheckpoint(model, bytes, file.name); // validates everything before writing a tensor
    explorer.setModel(null);
    disposeRun(main);
    disposeRun(baseline);
    baseline = null;
    const c = header.config;
    main = newRun(modelLabel(c), model);
    model = null;
    main.progress = header.progress;
    main.weightsEpoch = header.progress.epoch;
    main.last = bytes;
    main.best = header.progress.bestEpoch === header.progress.epoch ? bytes : null;
    loadedConfig = c;
    if (!presets[c.preset] && !Array.from(ui.preset.options).some((o) => o.value === c.preset)) ui.preset.append(html("option", { value: c.preset }, c.preset));
    ui.preset.value = c.preset;
    ui.digit.value = String(c.digit);
    ui.model.value = c.model;
    ui.epochs.value = String(c.epochs);
    ui.patience.value = String(c.patience);
    ui.batch.value = String(c.batch);
    ui.seed.value = String(c.seed);
    ui.presetNote.textContent = PRESET_NOTES[c.preset] ?? `${c.preset}: from the loaded checkpoint`;
    clearResults();
    drawLossCharts();
    byId("s-epoch").textContent = `${header.progress.epoch} / ${c.epochs}`;
    byId("s-validation").textContent = header.progress.bestValidationMse === null ? "–" : `${num(header.progress.bestValidationMse)} (best, epoch ${header.progress.bestEpoch})`;
    await showFigures(main);
    setExplorerModels();
    updateDownloads();
    setPhase("idle", `loaded ${file.name}`);
    say(`Loaded ${file.name}: ${main.label}, preset ${c.preset}, digit ${c.digit}, epoch ${header.progress.epoch} of ${c.epochs}. ` +
      (stopReason(header.progress, c) === null ? "Train resumes it; " : "Raise Epochs or Patience to train it further; ") + "Evaluate scores it now.");
  } catch (error) {
    model?.dispose();
    say(`Could not load ${file.name}: ${(error as Error).message}`, true);
  } finally {
    ui.load.value = "";
    busy = false;
    updateButtons();
  }
}

// ---- the latent explorer ----

const explorer = new LatentExplorer({
  sliders: byId("sliders"),
  image: byId<HTMLCanvasElement>("latent-image"),
  score: byId("latent-score"),
  sweep: byId<HTMLCanvasElement>("latent-sweep"),
  dimA: byId<HTMLSelectElement>("dim-a"),
  dimB: byId<HTMLSelectElement>("dim-b"),
  randomPoint: byId<HTMLButtonElement>("random-point"),
  walk: byId<HTMLButtonElement>("walk"),
  zero: byId<HTMLButtonElement>("zero"),
  note: byId("explorer-note"),
}, fail);

function setExplorerModels(): void {
  const runs = [main, baseline].filter((r): r is Run => !!r);
  ui.explorerModel.replaceChildren(...runs.map((r, i) => html("option", { value: i }, r.label)));
  byId("explorer-model-label").hidden = runs.length < 2;
  showExplorerModel();
}

function showExplorerModel(): void {
  const runs = [main, baseline].filter((r): r is Run => !!r);
  const run = runs[Number(ui.explorerModel.value) || 0] ?? null;
  const weights = training ? "the weights as they train" : `weights of epoch ${run?.weightsEpoch}`;
  explorer.setModel(run?.model ?? null, run ? `${run.label}, digit ${run.model.config.digit}, ${weights}, latent dimension ${run.model.config.latent}` : "");
}

// ---- the computation graph ----

function parameterNames(model: OcganModel): Map<Tensor, string> {
  const names = new Map<Tensor, string>();
  for (const [name, t] of model.state()) if (!name.startsWith("opt.")) names.set(t, name);
  return names;
}

function graphTitle(c: OcganConfig): string {
  return `${modelLabel(c)} generator step, preset ${c.preset}, batch ${c.batch}, latent ${c.latent}`;
}

function setGraph(snapshot: GraphSnapshot): void {
  graph = snapshot;
  const target = byId("graph-svg") as unknown as SVGSVGElement;
  const details = byId("node-details");
  graphView = drawGraph(target, snapshot, (node) => {
    details.replaceChildren(...describeNode(snapshot, node).map((line) => html("p", {}, line)));
  });
  // Start at the loss (bottom, centre): backward() walks up from there.
  const scroller = byId("graph-scroll");
  scroller.scrollTop = scroller.scrollHeight;
  scroller.scrollLeft = (scroller.scrollWidth - scroller.clientWidth) / 2;
  const count = (f: (n: GraphSnapshot["nodes"][number]) => boolean) => snapshot.nodes.filter(f).length;
  const params = count((n) => n.kind === "parameter");
  const trainable = count((n) => n.kind === "parameter" && n.requiresGrad);
  byId("graph-summary").textContent = `${snapshot.title}: ${snapshot.nodes.length} tensors — ${count((n) => n.kind === "op")} made by ops, ` +
    `${params} weights (${trainable} trainable, ${params - trainable} frozen), ${count((n) => n.kind === "input")} inputs; backward() visits ${snapshot.backwardSteps}.`;
  ui.playBackward.disabled = false;
}

/** Records the graph on a throwaway copy of the settings (one iteration), so the page's own model is not stepped. */
async function captureOneStep(): Promise<void> {
  if (training && document.body.dataset.phase === "training") {
    say("recording the graph at the next iteration…");
    if (main) {
      const model = main.model;
      model.onGeneratorLoss = (loss) => {
        model.onGeneratorLoss = null;
        setGraph(captureGraph(loss, parameterNames(model), graphTitle(model.config)));
        say("");
      };
    }
    return;
  }
  let config: OcganConfig;
  try {
    config = main?.model.config ?? readConfig();
  } catch (error) {
    say((error as Error).message, true);
    return;
  }
  ui.capture.disabled = true;
  const model = new OcganModel(config);
  try {
    const split = splitDigit(dataset, config.digit);
    const x = toModelInput(dataset.images, split.train.slice(0, config.batch));
    const batch = fromData(x, [config.batch, 1, 32, 32]);
    model.onGeneratorLoss = (loss) => setGraph(captureGraph(loss, parameterNames(model), graphTitle(config)));
    const losses = model.iteration(batch, config.warmupEpochs === 0);
    await losses.toArray();
    losses.dispose();
    batch.dispose();
  } catch (error) {
    fail(error);
  } finally {
    model.dispose();
    ui.capture.disabled = false;
  }
}

function playBackward(): void {
  if (!graph || !graphView) return;
  if (graphAnimation !== null) clearTimeout(graphAnimation);
  const view = graphView;
  const total = graph.backwardSteps;
  const delay = Math.max(15, Math.min(80, 5000 / total));
  let step = 1;
  const tick = () => {
    view.showBackwardStep(step);
    byId("graph-summary").dataset.step = String(step);
    if (step++ < total) graphAnimation = setTimeout(tick, delay);
    else graphAnimation = setTimeout(() => { view.showBackwardStep(null); graphAnimation = null; }, 1500);
  };
  tick();
}

boot().catch((error) => {
  byId("loading").textContent = `Could not start: ${(error as Error).message}`;
  byId("loading").classList.add("error");
  setPhase("error");
});
