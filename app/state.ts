// The training page's state and its one transition function,
// reduce(state, event) -> state. Everything the page shows is drawn from the
// state (app/views.ts); everything that happens to it (a click, an
// iteration, a checkpoint written, an error) is an event. The reducer is
// pure: no DOM, no GPU, no clock (events carry their times), so
// test/app-state.test.ts runs it alone. The models it holds are opaque
// handles here; app/main.ts disposes a model once the state lets go of it.
import { makeConfig, presets, sameRun, type OcganConfig, type ModelKind } from "../src/ocgan/config.js";
import { freshProgress, stopReason, type TrainingProgress } from "../src/ocgan/checkpoint.js";
import type { MnistDataset } from "../src/ocgan/data.js";
import type { OcganModel } from "../src/ocgan/step.js";
import type { Losses } from "../src/ocgan/train.js";
import type { Evaluation } from "../src/ocgan/evaluate.js";
import type { Figures } from "./figures.js";
import type { GraphSnapshot } from "./graph.js";

/** The model trained first (OCGAN, AE or DAE) and the AE baseline trained after it. */
export type Role = "main" | "baseline";
export const ROLES: readonly Role[] = ["main", "baseline"];

/** What `data-phase` on <body> says (the tests and the screenshots wait on it). */
export type Phase = "loading" | "no-webgpu" | "idle" | "training" | "paused" | "evaluating" | "done" | "stopped" | "error";

export interface HistoryEntry {
  /** 0-based epoch of the iteration. */
  epoch: number;
  losses: Losses;
}

/** One model trained (or loaded) on this page. */
export interface Run {
  /** Its folder in the page's storage, named as the command line names it: the model kind. */
  name: string;
  label: string;
  config: OcganConfig;
  /** Null while runExperiment builds it (it times the kernels first). */
  model: OcganModel | null;
  /** As of its last checkpoint. */
  progress: TrainingProgress;
  /** The checkpoints written after the last finished epoch, and at the best one. */
  last: Uint8Array | null;
  best: Uint8Array | null;
  /** Losses of every iteration trained on this page. */
  history: readonly HistoryEntry[];
  evaluation: Evaluation | null;
  /** Epoch whose weights the model holds now (after model selection it may be the best, not the last). */
  weightsEpoch: number;
}

/** The set-up controls, as typed (numbers are checked when Train reads them). */
export interface Form {
  digit: string;
  model: string;
  preset: string;
  epochs: string;
  patience: string;
  batch: string;
  seed: string;
  refresh: string;
  baseline: boolean;
}
export type TextField = Exclude<keyof Form, "baseline">;

export type Pause = { kind: "none" } | { kind: "requested" } | { kind: "paused"; epoch: number; iteration: number };

export interface Training {
  kind: "training";
  role: Role;
  /** What runExperiment reported last before the iterations ("choosing kernels", ...); null once they run. */
  stage: string | null;
  /** While runExperiment evaluates: the epoch whose weights it scores. */
  evaluatingEpoch: number | null;
  pause: Pause;
  stopRequested: boolean;
  /** The AE baseline trains after the main model. */
  thenBaseline: boolean;
}

/** What the page is busy with; "none" lets every control work. */
export type Job = { kind: "none" } | { kind: "loading-file" } | { kind: "evaluating"; role: Role } | Training;

export type Boot =
  | { kind: "loading" }
  | { kind: "no-webgpu"; reason: string }
  | { kind: "failed"; message: string }
  | { kind: "ready"; adapter: string; dataset: MnistDataset; trainCounts: readonly number[] };

/** A clock that stands still while paused, for throughput and time left: real times (performance.now) go in. */
export interface PausedClock {
  pausedAt: number | null;
  pausedTotal: number;
}

export interface Status {
  /** The run the numbers are about. */
  role: Role | null;
  epoch: { shown: number; of: number } | null;
  iteration: { shown: number; of: number } | null;
  /** Clock time the run's training began, and of its last iterations (the speed is their mean). */
  startedAt: number | null;
  recent: readonly number[];
  /** Iterations to the epoch cap. */
  iterationsLeft: number | null;
  validation: { mse: number; note: string } | null;
}

export interface FigureView {
  figures: Figures;
  label: string;
  digit: number;
  /** Which weights: "epoch 2, iteration 40", "weights of epoch 3", ... */
  when: string;
}

export interface PageState {
  boot: Boot;
  form: Form;
  /** The settings of a loaded checkpoint that the controls do not show (lr, lambda, ...), kept for its preset. */
  loadedConfig: OcganConfig | null;
  main: Run | null;
  baseline: Run | null;
  job: Job;
  /** What the phase line says when no job runs. */
  outcome: { phase: "idle" | "done" | "stopped" | "error"; text: string };
  message: { text: string; error: boolean };
  clock: PausedClock;
  status: Status;
  figures: FigureView | null;
  graph: GraphSnapshot | null;
  /** A one-step graph recording on a throwaway model is running. */
  capturing: boolean;
  /** Which of explorerRuns() the latent explorer shows. */
  explorerChoice: number;
}

export type PageEvent =
  | { type: "no-webgpu"; reason: string }
  | { type: "boot-failed"; message: string }
  | { type: "ready"; adapter: string; dataset: MnistDataset; trainCounts: readonly number[] }
  | { type: "field"; field: TextField; value: string }
  | { type: "baseline-ticked"; on: boolean }
  | { type: "explorer-choice"; index: number }
  | { type: "say"; text: string; error?: boolean }
  /** An error outside any job (the explorer, a graph recording): shown, nothing stops. */
  | { type: "error"; message: string }
  | { type: "train-started"; config: OcganConfig; resume: boolean; thenBaseline: boolean }
  | { type: "baseline-started"; config: OcganConfig }
  | { type: "model-built"; role: Role; model: OcganModel; clockTime: number }
  | { type: "stage"; role: Role; stage: string; epoch?: number }
  | { type: "iteration"; role: Role; epoch: number; iteration: number; iterationsPerEpoch: number; losses: Losses; clockTime: number }
  | { type: "checkpoint"; role: Role; kind: "last" | "best"; bytes: Uint8Array }
  | { type: "epoch"; role: Role; epoch: number; validationMse: number; improved: boolean; progress: TrainingProgress }
  | { type: "experiment-done"; role: Role; evaluation: Evaluation; selectedEpoch: number }
  | { type: "pause-clicked"; realTime: number }
  | { type: "paused"; epoch: number; iteration: number; realTime: number }
  | { type: "stop-clicked"; realTime: number }
  | { type: "training-ended"; stopped: boolean }
  /** The job running ended with an error. */
  | { type: "job-failed"; message: string }
  | { type: "evaluating"; role: Role }
  | { type: "evaluated"; role: Role; evaluation: Evaluation }
  | { type: "evaluate-done" }
  | { type: "load-started" }
  | { type: "loaded"; fileName: string; config: OcganConfig; progress: TrainingProgress; model: OcganModel; bytes: Uint8Array }
  | { type: "load-failed"; fileName: string; message: string }
  | { type: "figures"; view: FigureView }
  | { type: "graph"; snapshot: GraphSnapshot }
  | { type: "capture"; running: boolean };

/** How many iterations the speed (time left, throughput) is averaged over; the first includes compiling the kernels. */
const SPEED_WINDOW = 20;

export const PRESET_NOTES: Record<string, string> = {
  tiny: "tiny: narrow nets (C = 4, d = 8), seconds per epoch even on a software GPU; for trying things out",
  fast: "fast: C = 8, d = 16, batch 32, lr 1e-3; minutes per epoch on a software GPU, seconds on a real one",
  wide: "wide: fast at twice the width (C = 16, Dv 12); about 1.7 times fast's time per epoch",
  paper: "paper: the paper's widths (C = 64, d = 16), until the validation MSE stops improving; wants a real GPU",
};

export function initialState(): PageState {
  const form: Form = { digit: "8", model: "ocgan", preset: "tiny", epochs: "", patience: "", batch: "", seed: "1", refresh: "20", baseline: false };
  return {
    boot: { kind: "loading" },
    form: withPreset(form, null),
    loadedConfig: null,
    main: null,
    baseline: null,
    job: { kind: "none" },
    outcome: { phase: "idle", text: "idle" },
    message: { text: "", error: false },
    clock: { pausedAt: null, pausedTotal: 0 },
    status: { role: null, epoch: null, iteration: null, startedAt: null, recent: [], iterationsLeft: null, validation: null },
    figures: null,
    graph: null,
    capturing: false,
    explorerChoice: 0,
  };
}

// ---- reading the state ----

export function runOf(s: PageState, role: Role): Run | null {
  return role === "main" ? s.main : s.baseline;
}

export function trainingJob(s: PageState): Training | null {
  return s.job.kind === "training" ? s.job : null;
}

export function isBusy(s: PageState): boolean {
  return s.job.kind !== "none";
}

export function isPaused(s: PageState): boolean {
  return trainingJob(s)?.pause.kind === "paused";
}

export function clockTime(clock: PausedClock, realTime: number): number {
  return realTime - clock.pausedTotal - (clock.pausedAt === null ? 0 : realTime - clock.pausedAt);
}

/** The phase and the line that names it, from whatever the page is doing. */
export function phaseOf(s: PageState): { phase: Phase; text: string } {
  if (s.boot.kind === "loading") return { phase: "loading", text: "loading" };
  if (s.boot.kind === "no-webgpu") return { phase: "no-webgpu", text: "no-webgpu" };
  if (s.boot.kind === "failed") return { phase: "error", text: "error" };
  const job = s.job;
  if (job.kind === "training") {
    const label = runOf(s, job.role)?.label ?? "";
    if (job.pause.kind === "paused") return { phase: "paused", text: `paused: ${label}, epoch ${job.pause.epoch + 1}, iteration ${job.pause.iteration + 1}` };
    if (job.evaluatingEpoch !== null) return { phase: "evaluating", text: `evaluating ${label} (epoch ${job.evaluatingEpoch}) on every test digit` };
    return { phase: "training", text: `training ${label}${job.stage ? `: ${job.stage}` : ""}` };
  }
  if (job.kind === "evaluating") {
    const run = runOf(s, job.role);
    return { phase: "evaluating", text: `evaluating ${run?.label} (epoch ${run?.weightsEpoch}) on every test digit` };
  }
  return s.outcome; // loading a file leaves the phase as it was
}

/** The settings the controls describe; throws with a message naming the field. */
export function readConfig(s: PageState): OcganConfig {
  const f = s.form;
  const integer = (value: string, what: string, lo: number, hi: number) => {
    const v = Number(value);
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${what} must be a whole number from ${lo} to ${hi}, got "${value}"`);
    return v;
  };
  const digit = Number(f.digit);
  const trainCount = s.boot.kind === "ready" ? s.boot.trainCounts[digit] ?? 0 : 0;
  const overrides: Partial<OcganConfig> = {
    digit,
    model: f.model as ModelKind,
    epochs: integer(f.epochs, "Epochs", 1, 1000),
    patience: integer(f.patience, "Patience", 0, 1000),
    batch: integer(f.batch, "Batch", 1, trainCount),
    seed: integer(f.seed, "Seed", 0, 2 ** 31 - 1),
  };
  const loaded = s.loadedConfig;
  if (loaded && loaded.preset === f.preset) {
    // Keep what a loaded checkpoint set beyond the controls (learning rate, lambda, ablations).
    const { preset: _p, ...rest } = loaded;
    if (!presets[f.preset]) return { ...rest, ...overrides, preset: f.preset } as OcganConfig;
    return makeConfig(f.preset, { ...rest, ...overrides });
  }
  return makeConfig(f.preset, overrides);
}

export function tryConfig(s: PageState): OcganConfig | null {
  try {
    return readConfig(s);
  } catch {
    return null;
  }
}

/** Whether Train continues the main run (same settings, a checkpoint, epochs left) rather than starting afresh. */
export function resumable(s: PageState, config: OcganConfig | null): boolean {
  const main = s.main;
  return !!(config && main?.last && sameRun(main.config, config) && stopReason(main.progress, config) === null);
}

/** The runs the latent explorer can show: those with a model. */
export function explorerRuns(s: PageState): Run[] {
  return [s.main, s.baseline].filter((r): r is Run => !!r?.model);
}

/** The preset names the preset control offers: the built-in ones, and a loaded checkpoint's own. */
export function presetNames(s: PageState): string[] {
  const names = Object.keys(presets);
  for (const name of [s.loadedConfig?.preset, s.form.preset]) if (name && !names.includes(name)) names.push(name);
  return names;
}

export function presetNote(preset: string): string {
  return PRESET_NOTES[preset] ?? `${preset}: from the loaded checkpoint`;
}

export function resultSummary(s: PageState): string {
  return [s.main, s.baseline]
    .filter((r): r is Run => !!r?.evaluation)
    .map((r) => `${r.label}: Protocol 1 AUC ${r.evaluation!.protocol1.auc.toFixed(4)}, Protocol 2 AUC ${r.evaluation!.protocol2.auc.toFixed(4)}`)
    .join("\n");
}

export function modelLabel(c: OcganConfig): string {
  return c.model === "ocgan" ? "OCGAN" : c.model === "ae" ? "AE" : "DAE";
}

/** The AE baseline of an OCGAN config: the same encoder, decoder and schedule, none of OCGAN's parts (as makeConfig makes "ae"). */
export function baselineConfig(config: OcganConfig): OcganConfig {
  return { ...config, model: "ae", latentDisc: false, visualDisc: false, classifier: false, sigma: 0 };
}

/** An error as the message line shows it; a lost device says how to go on. */
export function errorText(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const lost = /device lost|destroyed/i.test(e.message);
  return `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` +
    (lost ? "\nThe GPU device is gone: save the checkpoints listed below, reload the page and load the last one to go on." : "");
}

// ---- the transition function ----

export function reduce(s: PageState, event: PageEvent): PageState {
  switch (event.type) {
    case "no-webgpu":
      return { ...s, boot: { kind: "no-webgpu", reason: event.reason } };
    case "boot-failed":
      return { ...s, boot: { kind: "failed", message: event.message } };
    case "ready":
      return { ...s, boot: { kind: "ready", adapter: event.adapter, dataset: event.dataset, trainCounts: event.trainCounts }, outcome: { phase: "idle", text: "ready: pick a digit and press Train" } };
    case "field": {
      const form = { ...s.form, [event.field]: event.value };
      return { ...s, form: event.field === "preset" ? withPreset(form, s.loadedConfig) : form };
    }
    case "baseline-ticked":
      return { ...s, form: { ...s.form, baseline: event.on } };
    case "explorer-choice":
      return { ...s, explorerChoice: event.index };
    case "say":
      return { ...s, message: { text: event.text, error: event.error ?? false } };
    case "error":
      return { ...s, outcome: { phase: "error", text: "error" }, message: { text: event.message, error: true } };
    case "train-started":
      return trainStarted(s, event.config, event.resume, event.thenBaseline);
    case "baseline-started":
      return withTraining({ ...s, baseline: newRun("ae", "AE baseline", event.config) }, (t) => ({ ...t, role: "baseline", stage: null, evaluatingEpoch: null }));
    case "model-built":
      return {
        ...withRun(s, event.role, (r) => ({ ...r, model: event.model })),
        status: { ...s.status, role: event.role, startedAt: event.clockTime, recent: [event.clockTime] },
      };
    case "stage":
      if (event.stage === "evaluating") {
        const evaluatingEpoch = event.epoch ?? null;
        const next = evaluatingEpoch === null ? s : withRun(s, event.role, (r) => ({ ...r, weightsEpoch: evaluatingEpoch }));
        return withTraining(next, (t) => ({ ...t, evaluatingEpoch }));
      }
      return withTraining(s, (t) => ({ ...t, stage: event.stage }));
    case "iteration":
      return iterationDone(s, event);
    case "checkpoint":
      return withRun(s, event.role, (r) => ({ ...r, [event.kind]: event.bytes }));
    case "epoch":
      return {
        ...withRun(s, event.role, (r) => ({ ...r, progress: event.progress, weightsEpoch: event.progress.epoch })),
        status: { ...s.status, validation: { mse: event.validationMse, note: `epoch ${event.epoch + 1}${event.improved ? ", best so far" : ""}` } },
      };
    case "experiment-done":
      // The phase stays "evaluating" while the page draws the last figures (the baseline, when it starts, clears it).
      return withRun(s, event.role, (r) => ({ ...r, evaluation: event.evaluation, weightsEpoch: event.selectedEpoch }));
    case "pause-clicked":
      return pauseClicked(s, event.realTime);
    case "paused": {
      const t = trainingJob(s);
      if (!t || t.pause.kind !== "requested" || t.stopRequested) return s;
      return {
        ...s,
        job: { ...t, pause: { kind: "paused", epoch: event.epoch, iteration: event.iteration } },
        clock: { ...s.clock, pausedAt: event.realTime },
        message: { text: "paused: the explorer and the graph still work; Resume continues with the next iteration.", error: false },
      };
    }
    case "stop-clicked": {
      const t = trainingJob(s);
      if (!t) return s;
      const wasPaused = t.pause.kind === "paused";
      return {
        ...s,
        job: { ...t, stopRequested: true, pause: { kind: "none" } },
        clock: wasPaused ? resumedClock(s.clock, event.realTime) : s.clock,
        message: wasPaused ? { text: "", error: false } : s.message,
      };
    }
    case "training-ended":
      return event.stopped
        ? { ...s, job: { kind: "none" }, outcome: { phase: "stopped", text: `stopped at epoch ${s.main?.progress.epoch ?? 0} (checkpoint), weights of the iteration it stopped at` } }
        : { ...s, job: { kind: "none" }, outcome: { phase: "done", text: "done" }, message: { text: resultSummary(s), error: false } };
    case "job-failed":
      return {
        ...s,
        job: { kind: "none" },
        clock: s.clock.pausedAt === null ? s.clock : { pausedAt: null, pausedTotal: s.clock.pausedTotal },
        outcome: { phase: "error", text: "error" },
        message: { text: event.message, error: true },
      };
    case "evaluating":
      return { ...s, job: { kind: "evaluating", role: event.role } };
    case "evaluated":
      return withRun(s, event.role, (r) => ({ ...r, evaluation: event.evaluation }));
    case "evaluate-done":
      return { ...s, job: { kind: "none" }, outcome: { phase: "done", text: "evaluated" }, message: { text: resultSummary(s), error: false } };
    case "load-started":
      return { ...s, job: { kind: "loading-file" } };
    case "loaded":
      return checkpointLoaded(s, event);
    case "load-failed":
      return { ...s, job: { kind: "none" }, message: { text: `Could not load ${event.fileName}: ${event.message}`, error: true } };
    case "figures":
      return { ...s, figures: event.view };
    case "graph":
      return { ...s, graph: event.snapshot };
    case "capture":
      return { ...s, capturing: event.running };
  }
}

function newRun(name: string, label: string, config: OcganConfig): Run {
  return { name, label, config, model: null, progress: freshProgress(), last: null, best: null, history: [], evaluation: null, weightsEpoch: 0 };
}

function withRun(s: PageState, role: Role, change: (run: Run) => Run): PageState {
  const run = runOf(s, role);
  if (!run) return s;
  return role === "main" ? { ...s, main: change(run) } : { ...s, baseline: change(run) };
}

function withTraining(s: PageState, change: (t: Training) => Training): PageState {
  const t = trainingJob(s);
  return t ? { ...s, job: change(t) } : s;
}

/** The preset's epochs, patience and batch in the form (a loaded checkpoint's, for its own preset). */
function withPreset(form: Form, loadedConfig: OcganConfig | null): Form {
  const p = presets[form.preset] ?? (loadedConfig?.preset === form.preset ? loadedConfig : null);
  return p ? { ...form, epochs: String(p.epochs), patience: String(p.patience), batch: String(p.batch) } : form;
}

function resumedClock(clock: PausedClock, realTime: number): PausedClock {
  return clock.pausedAt === null ? clock : { pausedAt: null, pausedTotal: clock.pausedTotal + realTime - clock.pausedAt };
}

function trainStarted(s: PageState, config: OcganConfig, resume: boolean, thenBaseline: boolean): PageState {
  // A resumed run continues from its last checkpoint, as the command line's --resume does: the losses of an epoch it did not finish go.
  const previous = s.main;
  const main: Run = resume && previous
    ? { ...previous, config, model: null, evaluation: null, history: previous.history.filter((h) => h.epoch < previous.progress.epoch) }
    : newRun(config.model, modelLabel(config), config);
  return {
    ...s,
    main,
    baseline: null,
    loadedConfig: null,
    job: { kind: "training", role: "main", stage: null, evaluatingEpoch: null, pause: { kind: "none" }, stopRequested: false, thenBaseline },
    message: { text: "", error: false },
  };
}

function iterationDone(s: PageState, e: Extract<PageEvent, { type: "iteration" }>): PageState {
  const run = runOf(s, e.role);
  if (!run) return s;
  const withLosses = withRun(s, e.role, (r) => ({ ...r, history: [...r.history, { epoch: e.epoch, losses: e.losses }] }));
  // The stage line ("choosing kernels", ...) goes once the iterations run.
  const next = trainingJob(s)?.stage ? withTraining(withLosses, (t) => ({ ...t, stage: null })) : withLosses;
  const done = e.iteration + 1;
  return {
    ...next,
    status: {
      ...s.status,
      role: e.role,
      epoch: { shown: e.epoch + 1, of: run.config.epochs },
      iteration: { shown: done, of: e.iterationsPerEpoch },
      recent: [...s.status.recent, e.clockTime].slice(-(SPEED_WINDOW + 1)),
      iterationsLeft: (run.config.epochs - e.epoch) * e.iterationsPerEpoch - done,
    },
  };
}

/** Pause asks for a pause after the current iteration; pressed again (Resume) it goes on, or takes the request back. */
function pauseClicked(s: PageState, realTime: number): PageState {
  const t = trainingJob(s);
  if (!t || t.stopRequested) return s;
  if (t.pause.kind === "none") return { ...s, job: { ...t, pause: { kind: "requested" } }, message: { text: "pausing after this iteration…", error: false } };
  return { ...s, job: { ...t, pause: { kind: "none" } }, clock: resumedClock(s.clock, realTime), message: { text: "", error: false } };
}

function checkpointLoaded(s: PageState, e: Extract<PageEvent, { type: "loaded" }>): PageState {
  const { config: c, progress: p } = e;
  const main: Run = {
    ...newRun(c.model, modelLabel(c), c),
    model: e.model,
    progress: p,
    weightsEpoch: p.epoch,
    last: e.bytes,
    best: p.bestEpoch === p.epoch ? e.bytes : null,
  };
  const form: Form = {
    ...s.form, preset: c.preset, digit: String(c.digit), model: c.model,
    epochs: String(c.epochs), patience: String(c.patience), batch: String(c.batch), seed: String(c.seed),
  };
  const how = stopReason(p, c) === null ? "Train resumes it; " : "Raise Epochs or Patience to train it further; ";
  return {
    ...s,
    main,
    baseline: null,
    loadedConfig: c,
    form,
    job: { kind: "none" },
    outcome: { phase: "idle", text: `loaded ${e.fileName}` },
    message: { text: `Loaded ${e.fileName}: ${main.label}, preset ${c.preset}, digit ${c.digit}, epoch ${p.epoch} of ${c.epochs}. ${how}Evaluate scores it now.`, error: false },
    status: {
      role: "main",
      epoch: { shown: p.epoch, of: c.epochs },
      iteration: null,
      startedAt: null,
      recent: [],
      iterationsLeft: null,
      validation: p.bestValidationMse === null ? null : { mse: p.bestValidationMse, note: `best, epoch ${p.bestEpoch}` },
    },
  };
}
