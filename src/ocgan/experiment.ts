// One experiment, host-agnostic: train a model on one digit (resuming from a
// checkpoint if given), select the epoch by in-class validation MSE (or take
// the last), evaluate it under both protocols, and draw its figures. The host
// (the command line's page, the app, or Node) provides storage, the clock and
// progress display; a page also stops a run, waits in its progress hook
// (pause) and keeps the model to show it (see ExperimentOptions).
import { noGrad, fromData } from "../autograd/tensor.js";
import { scope } from "../autograd/scope.js";
import { rand } from "../ops/random.js";
import { sameRun, type OcganConfig } from "./config.js";
import { splitDigit, toModelInput, protocol1, type MnistDataset } from "./data.js";
import { OcganModel, LOSS_NAMES } from "./step.js";
import { runtime } from "../gpu/index.js";
import { train, tuneKernels, type Losses, type TrainHooks } from "./train.js";
import { evaluate, type Evaluation } from "./evaluate.js";
import { loadCheckpoint, readCheckpointHeader, stopReason, type TrainingProgress } from "./checkpoint.js";
import { encodePngCompressed, imageGrid } from "../io/png.js";
import { lineChart, PALETTE } from "../io/plot.js";

export interface Host {
  now(): number;
  /** Writes a file (path relative to the run folder), atomically. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Appends one line to a file (the JSON-lines loss log). */
  appendLine(path: string, line: string): Promise<void>;
  /** Reads a file of the run folder, or null if there is none. */
  readFile(path: string): Promise<Uint8Array | null>;
  /**
   * Shows progress. Awaited: a page waits here while it is paused and yields
   * to its event loop; the command line returns at once.
   */
  progress?(event: ProgressEvent): void | Promise<void>;
}

export type ProgressEvent =
  | { kind: "iteration"; name: string; epoch: number; epochs: number; patience: number; iteration: number; iterationsPerEpoch: number; losses: Losses; elapsedMs: number }
  | {
    kind: "epoch"; name: string; epoch: number; epochs: number; validationMse: number; improved: boolean; bestEpoch: number; patience: number; elapsedMs: number;
    /** The progress stored in the checkpoint just written (what a resume continues from). */
    progress: TrainingProgress;
  }
  /** Stage "evaluating" names the epoch whose weights are evaluated (the one model selection chose). */
  | { kind: "stage"; name: string; stage: string; epoch?: number };

export interface ExperimentResult {
  name: string;
  config: OcganConfig;
  /** Epoch whose weights were evaluated, and how it was chosen. */
  selectedEpoch: number;
  selection: "validation-mse" | "last";
  bestValidationMse: number | null;
  /** Epochs trained, and what stopped the run: its patience ran out (converged) or it reached the cap. */
  stopEpoch: number;
  stopReason: "patience" | "cap";
  /** In-class validation MSE after each epoch (entry e - 1 for epoch e). */
  validationCurve: number[];
  trainingMs: number;
  evaluation: Evaluation;
  /** Per-iteration losses of this session's training (resumed runs hold only the resumed part). */
  lossHistory: Losses[];
  figures: Record<string, string>;
}

const FIGURE_COUNT = 16;

async function grid(images: Float32Array, count: number): Promise<Uint8Array> {
  return encodePngCompressed(imageGrid(images, count, 32, 32, 8));
}

/**
 * Where the engine's kernel choices (runtime().tuner) outlive a process: a
 * run that resumes, or the next run on the same adapter, then computes with
 * the same kernels, bit for bit, and skips the timing.
 */
export interface KernelChoiceStore {
  load(): Promise<Record<string, string> | null>;
  save(choices: Record<string, string>): Promise<void>;
}

/** Loads the stored kernel choices, times the variants of the shapes they lack, stores the result. */
async function chooseKernels(name: string, config: OcganConfig, data: { train: Float32Array; validation: Float32Array }, host: Host, store?: KernelChoiceStore): Promise<void> {
  const { tuner } = runtime();
  const stored = await store?.load();
  if (stored) tuner.importChoices(stored);
  await host.progress?.({ kind: "stage", name, stage: "choosing kernels" });
  const timed = await tuneKernels(config, data);
  if (timed > 0) {
    await host.progress?.({ kind: "stage", name, stage: `timed the kernel variants of ${timed} layer shapes` });
    await store?.save(tuner.exportChoices());
  }
}

export interface ExperimentOptions {
  /** Which epoch is evaluated: the lowest in-class validation MSE (the default), or the last. */
  selection?: "validation-mse" | "last";
  resume?: { bytes: Uint8Array; fileName: string };
  kernelChoices?: KernelChoiceStore;
  /** Checked between iterations: true ends the run after the current one with ExperimentStopped (a page's Stop button). */
  shouldStop?(): boolean;
  /**
   * Takes the model once it is built (holding the resumed weights, when
   * resuming), before it trains: the caller then owns it and disposes it. A
   * page shows it as it trains and keeps it afterwards; without this hook the
   * model is disposed when the experiment ends.
   */
  adoptModel?(model: OcganModel): void;
  /**
   * Model selection when the best epoch's checkpoint is not in the host's
   * storage: "fail" (the default; the command line makes sure it is there
   * before it starts), or "last": evaluate the last epoch and report selection
   * "last". A page that resumes a checkpoint loaded on its own, without its
   * best.safetensors, takes "last".
   */
  withoutBest?: "fail" | "last";
}

/** What runExperiment throws when options.shouldStop() ended the run: the last checkpoint is that of `progress`. */
export class ExperimentStopped extends Error {
  override name = "ExperimentStopped";
  constructor(readonly experiment: string, readonly progress: TrainingProgress) {
    super(`${experiment}: stopped by the user; the last checkpoint is of epoch ${progress.epoch}`);
  }
}

/** Runs (or resumes) one experiment; every file it writes lies under `name/`. */
export async function runExperiment(
  name: string,
  config: OcganConfig,
  dataset: MnistDataset,
  host: Host,
  options: ExperimentOptions = {},
): Promise<ExperimentResult> {
  const selection = options.selection ?? "validation-mse";
  const split = splitDigit(dataset, config.digit);
  const data = { train: toModelInput(dataset.images, split.train), validation: toModelInput(dataset.images, split.validation) };
  await chooseKernels(name, config, data, host, options.kernelChoices);
  const model = new OcganModel(config);
  let adopted = false;
  try {
    let progress: TrainingProgress | undefined;
    if (options.resume) {
      const { bytes, fileName } = options.resume;
      const header = readCheckpointHeader(bytes, fileName);
      if (!sameRun(header.config, config)) {
        throw new Error(`${fileName} was written with other settings (${JSON.stringify(header.config)}); resume with the same options or use a new output folder`);
      }
      progress = loadCheckpoint(model, bytes, fileName).progress;
      // A run killed between writing last.safetensors and best.safetensors leaves
      // an older best behind: when the checkpoint resumed from is the best so
      // far, it is also the best checkpoint.
      if (progress.bestEpoch === progress.epoch) await host.writeFile(`${name}/best.safetensors`, bytes);
      await host.progress?.({ kind: "stage", name, stage: `resumed from epoch ${progress.epoch}` });
    }
    if (options.adoptModel) {
      options.adoptModel(model);
      adopted = true;
    }
    const lossHistory: Losses[] = await previousLosses(host, name, progress?.epoch ?? 0);
    const hooks: TrainHooks = {
      now: host.now,
      onIteration: async (info) => {
        lossHistory.push(info.losses);
        await host.appendLine(`${name}/losses.jsonl`, JSON.stringify({ epoch: info.epoch + 1, iteration: info.iteration + 1, ...info.losses }));
        await host.progress?.({ kind: "iteration", name, epochs: config.epochs, patience: config.patience, ...info });
      },
      onEpoch: (info) => host.progress?.({
        kind: "epoch", name, epoch: info.epoch, epochs: config.epochs, validationMse: info.validationMse, improved: info.improved,
        bestEpoch: info.progress.bestEpoch!, patience: config.patience, elapsedMs: info.elapsedMs, progress: info.progress,
      }),
      saveCheckpoint: (bytes, kind) => host.writeFile(`${name}/${kind}.safetensors`, bytes),
      shouldStop: options.shouldStop,
    };
    const started = host.now();
    progress = await train(model, data, hooks, progress);
    const trainingMs = host.now() - started;
    const stopped = stopReason(progress, config);
    // A stop asked for during the last epoch's end skips the evaluation too.
    if (options.shouldStop?.()) throw new ExperimentStopped(name, progress);
    if (!stopped) throw new Error(`${name}: training returned at epoch ${progress.epoch} before its stop`);

    let selectedEpoch = progress.epoch;
    let selected = selection;
    if (selection === "validation-mse" && progress.bestEpoch !== null && progress.bestEpoch !== progress.epoch) {
      const best = await host.readFile(`${name}/best.safetensors`);
      if (best) {
        loadCheckpoint(model, best, `${name}/best.safetensors`);
        selectedEpoch = progress.bestEpoch;
      } else if (options.withoutBest === "last") {
        selected = "last";
      } else {
        throw new Error(`${name}/best.safetensors is missing; cannot select the best epoch`);
      }
    }
    await host.progress?.({ kind: "stage", name, stage: "evaluating", epoch: selectedEpoch });
    const evaluation = await evaluate(model, dataset, config.digit, config.seed);
    const figures = await drawFigures(name, model, dataset, lossHistory, evaluation, host);
    const result: ExperimentResult = {
      name, config, selectedEpoch, selection: selected, bestValidationMse: progress.bestValidationMse,
      stopEpoch: progress.epoch, stopReason: stopped, validationCurve: progress.validationCurve, trainingMs, evaluation, lossHistory, figures,
    };
    await host.writeFile(`${name}/result.json`, JSON.stringify({ ...result, lossHistory: undefined }, null, 1));
    return result;
  } finally {
    if (!adopted) model.dispose();
  }
}

/**
 * The loss log of the epochs a resumed run keeps (those up to its checkpoint);
 * the file is rewritten without the lines of an epoch that did not finish.
 */
async function previousLosses(host: Host, name: string, epochsDone: number): Promise<Losses[]> {
  const path = `${name}/losses.jsonl`;
  const bytes = epochsDone > 0 ? await host.readFile(path) : null;
  // A line cut short (a run killed mid-append) is dropped, not fatal.
  const epochOf = (line: string): number | null => {
    try {
      const epoch = JSON.parse(line)?.epoch;
      return typeof epoch === "number" ? epoch : null;
    } catch {
      return null;
    }
  };
  const kept = bytes
    ? new TextDecoder().decode(bytes).split("\n").filter((line) => {
      const epoch = epochOf(line);
      return epoch !== null && epoch <= epochsDone;
    })
    : [];
  await host.writeFile(path, kept.map((line) => line + "\n").join(""));
  return kept.map((line) => {
    const entry = JSON.parse(line);
    return Object.fromEntries(LOSS_NAMES.map((n) => [n, entry[n]])) as Losses;
  });
}

/** Reconstructions, random decodes, mined negatives, loss curves and the ROC curve, as PNG files. */
async function drawFigures(name: string, model: OcganModel, dataset: MnistDataset, lossHistory: Losses[], evaluation: Evaluation, host: Host): Promise<Record<string, string>> {
  const { En, De } = model.nets;
  const c = model.config;
  const p1 = protocol1(dataset, c.digit, c.seed);
  const inClass = p1.indices.filter((_, k) => p1.labels[k] === 1).slice(0, FIGURE_COUNT / 2);
  // One out-of-class image of each other digit, so every digit shows up.
  const outOfClass = [...new Map(p1.indices.filter((_, k) => p1.labels[k] === 0).reverse().map((i) => [dataset.labels[i], i])).values()]
    .sort((a, b) => dataset.labels[a] - dataset.labels[b])
    .slice(0, FIGURE_COUNT / 2);
  const inputs = toModelInput(dataset.images, [...inClass, ...outOfClass]);
  const n = inputs.length / 1024;
  for (const net of Object.values(model.nets)) net.eval();
  const [recon, decoded, mined] = scope(() => {
    const x = fromData(inputs, [n, 1, 32, 32]);
    const u = rand([FIGURE_COUNT, c.latent, 1, 1], { lo: -1, hi: 1, seed: c.seed + 1 });
    const r = noGrad(() => De.forward(En.forward(x)));
    const d = noGrad(() => De.forward(u));
    const m = c.classifier ? (() => { const l = model.mine(u); return noGrad(() => De.forward(l)); })() : d;
    return [r, d, m];
  });
  for (const net of Object.values(model.nets)) net.train();
  const [reconValues, decodedValues, minedValues] = await Promise.all([recon.toArray(), decoded.toArray(), mined.toArray()]);
  for (const t of new Set([recon, decoded, mined])) t.dispose();

  const interleaved = new Float32Array(2 * n * 1024); // rows of 8: inputs, then their reconstructions
  for (let row = 0; row < n / 8; row++) {
    interleaved.set(inputs.subarray(row * 8 * 1024, (row + 1) * 8 * 1024), 2 * row * 8 * 1024);
    interleaved.set(reconValues.subarray(row * 8 * 1024, (row + 1) * 8 * 1024), (2 * row + 1) * 8 * 1024);
  }
  const figures: Record<string, string> = {
    reconstructions: `${name}/reconstructions.png`,
    decoded: `${name}/random-latents.png`,
    lossCurves: `${name}/losses.png`,
    roc: `${name}/roc.png`,
  };
  await host.writeFile(figures.reconstructions, await grid(interleaved, 2 * n));
  await host.writeFile(figures.decoded, await grid(decodedValues, FIGURE_COUNT));
  if (c.classifier) {
    figures.mined = `${name}/mined-negatives.png`;
    const pair = new Float32Array(2 * FIGURE_COUNT * 1024);
    pair.set(decodedValues, 0);
    pair.set(minedValues, FIGURE_COUNT * 1024);
    await host.writeFile(figures.mined, await grid(pair, 2 * FIGURE_COUNT));
  }
  const xs = lossHistory.map((_, i) => i + 1);
  const active = LOSS_NAMES.filter((n) => lossHistory.some((l) => l[n] !== 0));
  const series = active.map((n) => ({ xs, ys: lossHistory.map((l) => l[n]), color: PALETTE[LOSS_NAMES.indexOf(n)] }));
  await host.writeFile(figures.lossCurves, await encodePngCompressed(lineChart(series)));
  const { roc: r1 } = evaluation.protocol1;
  const { roc: r2 } = evaluation.protocol2;
  await host.writeFile(figures.roc, await encodePngCompressed(lineChart([
    { xs: r1.fpr, ys: r1.tpr, color: PALETTE[0] },
    { xs: r2.fpr, ys: r2.tpr, color: PALETTE[1] },
  ], { xRange: [0, 1], yRange: [0, 1], diagonal: true, width: 300, height: 300 })));
  return figures;
}
