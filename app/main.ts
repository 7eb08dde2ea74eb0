// The training page (npm run app): train OCGAN, or a baseline auto-encoder, on
// one MNIST digit on this browser's WebGPU device and watch it learn.
//
// Training goes through src/ocgan/experiment.ts's runExperiment, as the
// command line's does: the same kernel timing, resuming, model selection and
// evaluation. The page's host keeps the run's files in memory (app/host.ts);
// its progress hook paints the views and waits there while paused. What the
// page adds is only display: SVG charts, canvas grids, the latent explorer
// and the recorded computation graph.
//
// The page is one state (app/state.ts) changed only by reduce(state, event);
// the views (app/views.ts) redraw from it after every event. This file turns
// clicks and the experiment's progress into events, and runs the work that
// touches the GPU. Training yields to the event loop after every iteration,
// so the page stays responsive; images are read back from the GPU only every
// N iterations and at each epoch's end.
import { init } from "../src/index.js";
import { fromData, type Tensor } from "../src/autograd/tensor.js";
import { parseMnist, splitDigit, toModelInput, type MnistDataset } from "../src/ocgan/data.js";
import type { OcganConfig } from "../src/ocgan/config.js";
import { OcganModel } from "../src/ocgan/step.js";
import { evaluate } from "../src/ocgan/evaluate.js";
import { loadCheckpoint, readCheckpointHeader } from "../src/ocgan/checkpoint.js";
import { runExperiment, ExperimentStopped, type Host, type ProgressEvent } from "../src/ocgan/experiment.js";
import { trainingPageElements, nextTurn } from "./dom.js";
import { FigureSampler } from "./figures.js";
import { captureGraph } from "./graph.js";
import { LatentExplorer } from "./explorer.js";
import { MemoryFolder, localKernelChoices } from "./host.js";
import { createStore } from "./store.js";
import { createViews } from "./views.js";
import {
  reduce, initialState, readConfig, resumable, runOf, trainingJob, isBusy, isPaused, phaseOf, clockTime, errorText, baselineConfig, modelLabel, ROLES,
  type PageState, type PageEvent, type Role, type TextField,
} from "./state.js";

const el = trainingPageElements();
const explorer = new LatentExplorer(el.explorer, (error) => fail(error, { endsJob: false }));
const views = createViews(el, explorer);
const store = createStore<PageState, PageEvent>(reduce, initialState(), (next, previous) => {
  views.render(next);
  disposeDropped(previous, next);
});
/** The page's stand-in for the command line's run folder. */
const folder = new MemoryFolder();
const dispatch = store.dispatch;

/** Disposes the models the state no longer holds (after the views have let go of them). */
function disposeDropped(previous: PageState, next: PageState): void {
  const kept = new Set(ROLES.map((role) => runOf(next, role)?.model));
  for (const role of ROLES) {
    const model = runOf(previous, role)?.model;
    if (model && !kept.has(model)) model.dispose();
  }
}

function fail(error: unknown, { endsJob }: { endsJob: boolean }): void {
  console.error(error);
  dispatch({ type: endsJob ? "job-failed" : "error", message: errorText(error) });
}

function dataset(): MnistDataset {
  const boot = store.state.boot;
  if (boot.kind !== "ready") throw new Error("the digits are not loaded yet");
  return boot.dataset;
}

/** The clock of throughput and time left: it stands still while paused. */
function now(): number {
  return clockTime(store.state.clock, performance.now());
}

// ---- start-up: WebGPU, data, controls ----

async function boot(): Promise<void> {
  if (!window.isSecureContext) {
    dispatch({ type: "no-webgpu", reason: `This page was opened from ${location.origin}, which is not a secure context, so the browser hides navigator.gpu. Open it from http://127.0.0.1 (npm run app), http://localhost or https.` });
    return;
  }
  if (!("gpu" in navigator) || !navigator.gpu) {
    dispatch({ type: "no-webgpu", reason: "navigator.gpu is undefined: this browser does not offer WebGPU, or it is switched off." });
    return;
  }
  let info;
  try {
    info = await init();
  } catch (error) {
    dispatch({ type: "no-webgpu", reason: `The browser has WebGPU, but no GPU adapter could be obtained: ${(error as Error).message}` });
    return;
  }
  const adapter = [info.vendor, info.architecture, info.description].filter(Boolean).join(" / ") || "unknown adapter";
  const response = await fetch("data/mnist.bin");
  if (!response.ok) throw new Error(`could not load data/mnist.bin (HTTP ${response.status}); run \`node build.mjs\``);
  const data = parseMnist(await response.arrayBuffer());
  const trainCounts = Array.from({ length: 10 }, (_, d) => splitDigit(data, d).train.length);
  dispatch({ type: "ready", adapter, dataset: data, trainCounts });
}

function wireControls(): void {
  const fields: TextField[] = ["digit", "model", "preset", "epochs", "patience", "batch", "seed", "refresh"];
  for (const field of fields) {
    const input = el.controls[field];
    input.addEventListener(input instanceof HTMLSelectElement ? "change" : "input", () => dispatch({ type: "field", field, value: input.value }));
  }
  el.controls.baseline.addEventListener("change", () => dispatch({ type: "baseline-ticked", on: el.controls.baseline.checked }));
  el.buttons.start.addEventListener("click", () => void trainModels());
  el.buttons.pause.addEventListener("click", () => dispatch({ type: "pause-clicked", realTime: performance.now() }));
  el.buttons.stop.addEventListener("click", () => dispatch({ type: "stop-clicked", realTime: performance.now() }));
  el.buttons.evaluate.addEventListener("click", () => void evaluateNow());
  el.load.addEventListener("change", () => void loadFromFile());
  el.graph.capture.addEventListener("click", () => void recordGraph());
  el.graph.playBackward.addEventListener("click", views.playBackward);
  el.explorer.model.addEventListener("change", () => dispatch({ type: "explorer-choice", index: Number(el.explorer.model.value) || 0 }));
}

// ---- training ----

function stopRequested(): boolean {
  return trainingJob(store.state)?.stopRequested ?? false;
}

/** Train: the main model (resumed from its last checkpoint when the settings allow), then the AE baseline if asked. */
async function trainModels(): Promise<void> {
  let config: OcganConfig;
  try {
    config = readConfig(store.state);
  } catch (error) {
    dispatch({ type: "say", text: (error as Error).message, error: true });
    return;
  }
  const resumeFrom = resumable(store.state, config) ? store.state.main!.last : null;
  const thenBaseline = store.state.form.baseline && config.model === "ocgan";
  dispatch({ type: "train-started", config, resume: resumeFrom !== null, thenBaseline });
  try {
    const finished = await trainExperiment("main", config, resumeFrom);
    if (finished && thenBaseline && !stopRequested()) {
      const baseline = baselineConfig(config);
      dispatch({ type: "baseline-started", config: baseline });
      await trainExperiment("baseline", baseline, null);
    }
    await showFigures("main");
    dispatch({ type: "training-ended", stopped: stopRequested() });
  } catch (error) {
    fail(error, { endsJob: true });
  }
}

/** Runs one experiment of `role`'s run; false when the user stopped it. */
async function trainExperiment(role: Role, config: OcganConfig, resumeFrom: Uint8Array | null): Promise<boolean> {
  const name = runOf(store.state, role)!.name;
  if (!resumeFrom) folder.clear(name); // a fresh run: nothing of an earlier one may be resumed or selected
  const boot = store.state.boot;
  const kernelChoices = boot.kind === "ready" ? localKernelChoices(boot.adapter) : undefined;
  try {
    const result = await runExperiment(name, config, dataset(), experimentHost(role, name, config), {
      selection: "validation-mse",
      resume: resumeFrom ? { bytes: resumeFrom, fileName: `${name}/last.safetensors` } : undefined,
      kernelChoices,
      shouldStop: stopRequested,
      // A checkpoint loaded from a file comes without its best.safetensors: then the last epoch is evaluated.
      withoutBest: "last",
      adoptModel: (model) => {
        if (role === "main") recordGraphAtNextStep(model);
        dispatch({ type: "model-built", role, model, clockTime: now() });
      },
    });
    dispatch({ type: "experiment-done", role, evaluation: result.evaluation, selectedEpoch: result.selectedEpoch });
    return true;
  } catch (error) {
    if (error instanceof ExperimentStopped) return false;
    throw error;
  } finally {
    const model = runOf(store.state, role)?.model;
    if (model) model.onGeneratorLoss = null; // a graph recording still waiting for a step
  }
}

/** runExperiment's host: the page's folder, its paused clock, and progress as events. */
function experimentHost(role: Role, name: string, config: OcganConfig): Host {
  const sampler = new FigureSampler(dataset(), config.digit, config.seed);
  const refreshEvery = Math.max(1, Math.floor(Number(store.state.form.refresh)) || 20);
  return {
    now,
    writeFile: async (path, data) => {
      folder.write(path, data);
      for (const kind of ["last", "best"] as const) {
        if (path === `${name}/${kind}.safetensors` && data instanceof Uint8Array) dispatch({ type: "checkpoint", role, kind, bytes: data });
      }
    },
    appendLine: async (path, line) => folder.append(path, line),
    readFile: async (path) => folder.read(path),
    progress: (event) => onProgress(role, event, sampler, refreshEvery),
  };
}

async function onProgress(role: Role, event: ProgressEvent, sampler: FigureSampler, refreshEvery: number): Promise<void> {
  if (event.kind === "stage") {
    dispatch({ type: "stage", role, stage: event.stage, epoch: event.epoch });
  } else if (event.kind === "epoch") {
    dispatch({ type: "epoch", role, epoch: event.epoch, validationMse: event.validationMse, improved: event.improved, progress: event.progress });
    await showFigures(role, `end of epoch ${event.epoch + 1}`, sampler);
  } else {
    const { epoch, iteration, iterationsPerEpoch, losses } = event;
    dispatch({ type: "iteration", role, epoch, iteration, iterationsPerEpoch, losses, clockTime: now() });
    const lastOfEpoch = iteration + 1 === iterationsPerEpoch;
    if ((iteration + 1) % refreshEvery === 0 && !lastOfEpoch) await showFigures(role, `epoch ${epoch + 1}, iteration ${iteration + 1}`, sampler);
    await pauseIfAsked(epoch, iteration);
    await nextTurn(); // let clicks, slider moves and painting in
  }
}

/** A pause asked for is taken here, between iterations, until Resume (or Stop) is pressed. */
async function pauseIfAsked(epoch: number, iteration: number): Promise<void> {
  const training = trainingJob(store.state);
  if (training?.pause.kind !== "requested" || training.stopRequested) return;
  dispatch({ type: "paused", epoch, iteration, realTime: performance.now() });
  await store.until((s) => !isPaused(s));
}

/** Samples and shows the four image grids of `role`'s model (one GPU readback). */
async function showFigures(role: Role, when?: string, sampler?: FigureSampler): Promise<void> {
  const run = runOf(store.state, role);
  if (!run?.model) return;
  const c = run.config;
  const figures = await (sampler ?? new FigureSampler(dataset(), c.digit, c.seed)).sample(run.model);
  const weightsEpoch = runOf(store.state, role)?.weightsEpoch ?? run.weightsEpoch;
  dispatch({ type: "figures", view: { figures, label: run.label, digit: c.digit, when: when ?? `weights of epoch ${weightsEpoch}` } });
}

// ---- Evaluate, and loading a checkpoint ----

async function evaluateNow(): Promise<void> {
  if (!store.state.main?.model || isBusy(store.state)) return;
  try {
    for (const role of ROLES) {
      const run = runOf(store.state, role);
      if (!run?.model) continue;
      dispatch({ type: "evaluating", role });
      await nextTurn();
      const evaluation = await evaluate(run.model, dataset(), run.config.digit, run.config.seed);
      dispatch({ type: "evaluated", role, evaluation });
    }
    dispatch({ type: "evaluate-done" });
  } catch (error) {
    fail(error, { endsJob: true });
  }
}

async function loadFromFile(): Promise<void> {
  const file = el.load.files?.[0];
  if (!file || isBusy(store.state)) return;
  dispatch({ type: "load-started" });
  let model: OcganModel | null = null;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const { config, progress } = readCheckpointHeader(bytes, file.name);
    model = new OcganModel(config);
    loadCheckpoint(model, bytes, file.name); // validates everything before writing a tensor
    const figures = await new FigureSampler(dataset(), config.digit, config.seed).sample(model);
    // What a resume reads, as if this page had trained it (its best checkpoint only when it is this one).
    const name = config.model;
    folder.clear(name);
    folder.write(`${name}/last.safetensors`, bytes);
    if (progress.bestEpoch === progress.epoch) folder.write(`${name}/best.safetensors`, bytes);
    dispatch({ type: "loaded", fileName: file.name, config, progress, model, bytes });
    model = null; // the state holds it now
    dispatch({ type: "figures", view: { figures, label: modelLabel(config), digit: config.digit, when: `weights of epoch ${progress.epoch}` } });
  } catch (error) {
    model?.dispose();
    dispatch({ type: "load-failed", fileName: file.name, message: (error as Error).message });
  } finally {
    el.load.value = ""; // the same file can be picked again
  }
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

/** Records the graph of `model`'s next generator step, walked from the loss before backward() runs. */
function recordGraphAtNextStep(model: OcganModel, then?: () => void): void {
  model.onGeneratorLoss = (loss) => {
    model.onGeneratorLoss = null;
    dispatch({ type: "graph", snapshot: captureGraph(loss, parameterNames(model), graphTitle(model.config)) });
    then?.();
  };
}

/** While training runs, the graph of its next step; otherwise one step of a throwaway copy of the settings, so no model of the page is stepped. */
async function recordGraph(): Promise<void> {
  const training = trainingJob(store.state);
  const trainingModel = training ? runOf(store.state, training.role)?.model : null;
  if (trainingModel && phaseOf(store.state).phase === "training") {
    dispatch({ type: "say", text: "recording the graph at the next iteration…" });
    recordGraphAtNextStep(trainingModel, () => dispatch({ type: "say", text: "" }));
    return;
  }
  let config: OcganConfig;
  try {
    config = store.state.main?.config ?? readConfig(store.state);
  } catch (error) {
    dispatch({ type: "say", text: (error as Error).message, error: true });
    return;
  }
  dispatch({ type: "capture", running: true });
  const model = new OcganModel(config);
  try {
    const x = toModelInput(dataset().images, splitDigit(dataset(), config.digit).train.slice(0, config.batch));
    const batch = fromData(x, [config.batch, 1, 32, 32]);
    recordGraphAtNextStep(model);
    const losses = model.iteration(batch, config.warmupEpochs === 0);
    await losses.toArray();
    losses.dispose();
    batch.dispose();
  } catch (error) {
    fail(error, { endsJob: false });
  } finally {
    model.dispose();
    dispatch({ type: "capture", running: false });
  }
}

views.render(store.state);
wireControls();
boot().catch((error) => dispatch({ type: "boot-failed", message: (error as Error).message }));
