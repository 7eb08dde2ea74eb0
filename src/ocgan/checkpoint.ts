// Checkpoints: every network's weights and batch-norm running statistics, the
// optimisers' moments and step counts, the config and the training progress,
// as one safetensors file (Python's safetensors opens it). Loading validates
// the whole file against the model before writing a single tensor, so a bad
// file never leaves a half-loaded model.
import { parseSafetensors, serializeSafetensors, SafetensorsError, type F32Tensor } from "./safetensors.js";
import type { OcganConfig } from "./config.js";
import type { OcganModel } from "./step.js";

export const CHECKPOINT_FORMAT = "webgpu-ocgan/1";

export interface TrainingProgress {
  /** Epochs completed. */
  epoch: number;
  /** Best in-class validation MSE so far and the epoch it was reached (model selection). */
  bestValidationMse: number | null;
  bestEpoch: number | null;
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

/** The config and progress stored in a checkpoint, without loading it (to build the model first). */
export function readCheckpointHeader(bytes: Uint8Array, fileName: string): Checkpoint {
  const { metadata } = parseSafetensors(bytes, fileName);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new SafetensorsError(`${fileName}: format '${metadata.format ?? "(none)"}', expected '${CHECKPOINT_FORMAT}'`);
  }
  return {
    config: parseJson<OcganConfig>(metadata.config, "config", fileName),
    progress: parseJson<TrainingProgress>(metadata.progress, "progress", fileName),
  };
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
  for (const [name, t] of state) t.write(tensors[name].data);
  for (const [name, opt] of Object.entries(model.opt)) opt.stepCount = steps[name] ?? 0;
  return header;
}
