// Checkpoints: every network's weights and batch-norm running statistics, the
// optimisers' moments and step counts, the config and the training progress,
// as one safetensors file (Python's safetensors opens it). Loading validates
// the whole file against the model before writing a single tensor, so a bad
// file never leaves a half-loaded model.
import { parseSafetensors, serializeSafetensors, SafetensorsError, type F32Tensor } from "../io/safetensors.js";
import type { OcganConfig } from "./config.js";
import type { OcganModel } from "./step.js";

export const CHECKPOINT_FORMAT = "webgpu-ocgan/1";

export interface TrainingProgress {
  /** Epochs completed. */
  epoch: number;
  /** Best in-class validation MSE so far and the epoch it was reached (model selection). */
  bestValidationMse: number | null;
  bestEpoch: number | null;
  /** The in-class validation MSE after each completed epoch (entry e - 1 for epoch e): the curve convergence is judged on. */
  validationCurve: number[];
}

/** The progress of a run that has not trained yet. */
export function freshProgress(): TrainingProgress {
  return { epoch: 0, bestValidationMse: null, bestEpoch: null, validationCurve: [] };
}

/**
 * Whether a run with this progress is done: it has trained `epochs` (the cap),
 * or, with a patience, its best epoch is `patience` epochs back. Which of the
 * two stopped it, or null while it has epochs to go.
 */
export function stopReason(progress: TrainingProgress, config: Pick<OcganConfig, "epochs" | "patience">): "patience" | "cap" | null {
  if (config.patience > 0 && progress.bestEpoch !== null && progress.epoch - progress.bestEpoch >= config.patience) return "patience";
  return progress.epoch >= config.epochs ? "cap" : null;
}

export interface Checkpoint {
  config: OcganConfig;
  progress: TrainingProgress;
}

/** Reads the model's whole state back from the GPU and encodes it. */
export async function saveCheckpoint(model: OcganModel, progress: TrainingProgress): Promise<Uint8Array> {
  const state = [...model.state()];
  const values = await Promise.all(state.map(([, t]) => t.toArray()));
  const tensors: Record<string, F32Tensor> = {};
  state.forEach(([name, t], i) => (tensors[name] = { shape: [...t.shape], data: values[i] }));
  const steps = Object.fromEntries(Object.entries(model.opt).map(([name, opt]) => [name, opt.stepCount]));
  return serializeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(model.config),
    progress: JSON.stringify(progress),
    optimizerSteps: JSON.stringify(steps),
  });
}

function parseJson<T>(text: string | undefined, what: string, fileName: string): T {
  if (text === undefined) throw new SafetensorsError(`${fileName}: metadata '${what}' is missing; not a checkpoint of this project`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new SafetensorsError(`${fileName}: metadata '${what}' is not valid JSON`);
  }
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The config and progress stored in a checkpoint, without loading it (to build the model first). */
export function readCheckpointHeader(bytes: Uint8Array, fileName: string): Checkpoint {
  const { metadata } = parseSafetensors(bytes, fileName);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new SafetensorsError(`${fileName}: format '${metadata.format ?? "(none)"}', expected '${CHECKPOINT_FORMAT}'`);
  }
  const config = parseJson<unknown>(metadata.config, "config", fileName);
  const progress = parseJson<unknown>(metadata.progress, "progress", fileName);
  // Valid JSON of the wrong shape must not reach the model or the training loop.
  if (!isRecord(config) || typeof config.preset !== "string" || !(["base", "visualBase", "latent", "epochs", "batch"] as const).every((k) => isCount(config[k]))) {
    throw new SafetensorsError(`${fileName}: metadata 'config' is not a training config (${JSON.stringify(config).slice(0, 80)})`);
  }
  const bestOk = isRecord(progress) && (progress.bestValidationMse === null || Number.isFinite(progress.bestValidationMse)) &&
    (progress.bestEpoch === null || isCount(progress.bestEpoch));
  const curveOk = isRecord(progress) && Array.isArray(progress.validationCurve) && progress.validationCurve.length === progress.epoch &&
    progress.validationCurve.every((v) => Number.isFinite(v));
  if (!isRecord(progress) || !isCount(progress.epoch) || !bestOk || !curveOk) {
    throw new SafetensorsError(`${fileName}: metadata 'progress' is not a training progress record (${JSON.stringify(progress).slice(0, 80)})`);
  }
  return { config: config as unknown as OcganConfig, progress: progress as unknown as TrainingProgress };
}

/** Loads a checkpoint into a model built with the same architecture; all-or-nothing. */
export function loadCheckpoint(model: OcganModel, bytes: Uint8Array, fileName: string): Checkpoint {
  const header = readCheckpointHeader(bytes, fileName);
  const { tensors, metadata } = parseSafetensors(bytes, fileName);
  const c = header.config;
  const m = model.config;
  for (const key of ["base", "visualBase", "latent"] as const) {
    if (c[key] !== m[key]) {
      throw new SafetensorsError(`${fileName}: checkpoint of preset '${c.preset}' has ${key} = ${c[key]}, this model (preset '${m.preset}') has ${m[key]}`);
    }
  }
  const state = model.state();
  for (const [name, t] of state) {
    const stored = tensors[name];
    if (!stored) throw new SafetensorsError(`${fileName}: tensor '${name}' is missing`);
    if (stored.shape.join(",") !== t.shape.join(",")) {
      throw new SafetensorsError(`${fileName}: tensor '${name}' has shape [${stored.shape}], the model expects [${t.shape}]`);
    }
  }
  for (const name of Object.keys(tensors)) {
    if (!state.has(name)) throw new SafetensorsError(`${fileName}: tensor '${name}' is not part of this model`);
  }
  const steps = parseJson<Record<string, number>>(metadata.optimizerSteps, "optimizerSteps", fileName);
  for (const name of Object.keys(model.opt)) {
    if (!isRecord(steps) || !isCount(steps[name] ?? 0)) {
      throw new SafetensorsError(`${fileName}: metadata 'optimizerSteps' has no valid step count for optimiser '${name}' (${JSON.stringify(steps).slice(0, 80)})`);
    }
  }
  for (const [name, t] of state) t.write(tensors[name].data);
  for (const [name, opt] of Object.entries(model.opt)) opt.stepCount = steps[name] ?? 0;
  return header;
}
