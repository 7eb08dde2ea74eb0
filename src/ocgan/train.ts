// The training loop: epochs of shuffled batches, one readback per iteration
// (the six losses, for the log), model selection on in-class validation MSE at
// every epoch's end, checkpoints through the host. Resumes from any epoch
// boundary: the shuffle and the GPU noise of epoch e depend only on (seed, e).
//
// The host (a page or Node) supplies the clock, storage and progress display
// through TrainHooks: this module uses no host API.
import { fromData } from "../autograd/tensor.js";
import { runtime } from "../gpu/index.js";
import { manualSeed } from "../ops/random.js";
import { BatchSampler } from "./data.js";
import { OcganModel, LOSS_NAMES, type LossName } from "./step.js";
import { noveltyScores } from "./score.js";
import { saveCheckpoint, freshProgress, stopReason, type TrainingProgress } from "./checkpoint.js";
import { trainingSeed, type OcganConfig } from "./config.js";

const PIXELS = 32 * 32;

export interface TrainingData {
  /** In-class training images, model input scale [-1, 1], [n, 1, 32, 32] flattened. */
  train: Float32Array;
  /** In-class validation images, same layout: the only data model selection may see. */
  validation: Float32Array;
}

export type Losses = Record<LossName, number>;

export interface IterationInfo {
  epoch: number;
  iteration: number;
  iterationsPerEpoch: number;
  losses: Losses;
  elapsedMs: number;
}

export interface EpochInfo {
  epoch: number;
  validationMse: number;
  progress: TrainingProgress;
  improved: boolean;
  elapsedMs: number;
}

export interface TrainHooks {
  /** Milliseconds from any fixed origin (performance.now in a page). */
  now(): number;
  onIteration?(info: IterationInfo): void | Promise<void>;
  onEpoch?(info: EpochInfo): void | Promise<void>;
  /** Stores a checkpoint: `last` after every epoch, `best` when validation MSE improved. Should be atomic. */
  saveCheckpoint?(bytes: Uint8Array, kind: "last" | "best"): Promise<void>;
  /** Checked between iterations: true stops after the current one (pause). */
  shouldStop?(): boolean;
}

export class NonFiniteLossError extends Error {
  override name = "NonFiniteLossError";
}

/** Mean of the novelty scores of the in-class validation images. */
export async function validationMse(model: OcganModel, validation: Float32Array): Promise<number> {
  const scores = await noveltyScores(model.nets.En, model.nets.De, validation);
  let sum = 0;
  for (const s of scores) sum += s;
  return sum / scores.length;
}

/**
 * Lets the engine choose its kernels for this config's shapes by timing them
 * (src/gpu/tuner.ts) before training, so every iteration of the run computes
 * with the same kernels: one iteration and one validation pass of a throwaway
 * model of the same config meet the shapes (of training and of scoring), then
 * runtime().tune() times the variants of those not chosen yet. Call it before
 * building the model that trains (building a model reseeds the random
 * generator). Returns the number of shapes timed (0 when stored choices
 * covered them all).
 */
export async function tuneKernels(config: OcganConfig, data: TrainingData, log?: (line: string) => void): Promise<number> {
  const probe = new OcganModel(config);
  try {
    const x = fromData(data.train.subarray(0, config.batch * PIXELS), [config.batch, 1, 32, 32]);
    const losses = probe.iteration(x, true);
    await losses.toArray();
    losses.dispose();
    x.dispose();
    await validationMse(probe, data.validation); // scoring's batch shape (score.ts pads every batch to full size)
  } finally {
    probe.dispose();
  }
  return (await runtime().tune(log)).length;
}

/**
 * Trains `model` from `progress` (a fresh run or a loaded checkpoint's) until
 * it stops (see stopReason): config.epochs at most, fewer when its in-class
 * validation MSE has not improved for config.patience epochs.
 */
export async function train(
  model: OcganModel,
  data: TrainingData,
  hooks: TrainHooks,
  progress: TrainingProgress = freshProgress(),
): Promise<TrainingProgress> {
  const c = model.config;
  const count = data.train.length / PIXELS;
  if (!Number.isInteger(count) || count === 0) throw new Error(`train: the training set holds ${data.train.length} values, not a positive number of 32x32 images`);
  if (c.batch > count) throw new Error(`train: batch size ${c.batch} is larger than the ${count} training images`);
  // The last partial batch is dropped: every iteration then has the same shapes, so the buffer pool reuses everything.
  const seed = trainingSeed(c);
  const sampler = new BatchSampler(Array.from({ length: count }, (_, i) => i), { batchSize: c.batch, seed, dropLast: true });
  const iterationsPerEpoch = sampler.batchesPerEpoch;
  const start = hooks.now();
  const batchData = new Float32Array(c.batch * PIXELS);

  for (let epoch = progress.epoch; !stopReason(progress, c); epoch++) {
    const batches = sampler.epoch(epoch);
    manualSeed(seed * 100_003 + epoch);
    const mining = epoch >= c.warmupEpochs;
    for (let it = 0; it < iterationsPerEpoch; it++) {
      for (let b = 0; b < c.batch; b++) {
        const src = batches[it][b] * PIXELS;
        batchData.set(data.train.subarray(src, src + PIXELS), b * PIXELS);
      }
      const x = fromData(batchData, [c.batch, 1, 32, 32]);
      const lossVector = model.iteration(x, mining);
      const values = await lossVector.toArray();
      lossVector.dispose();
      x.dispose();
      const losses = Object.fromEntries(LOSS_NAMES.map((n, i) => [n, values[i]])) as Losses;
      const bad = LOSS_NAMES.find((n) => !Number.isFinite(losses[n]));
      if (bad) {
        throw new NonFiniteLossError(
          `loss '${bad}' is ${losses[bad]} at epoch ${epoch + 1}, iteration ${it + 1}: training stopped; the last checkpoint is from epoch ${progress.epoch}`,
        );
      }
      await hooks.onIteration?.({ epoch, iteration: it, iterationsPerEpoch, losses, elapsedMs: hooks.now() - start });
      if (hooks.shouldStop?.()) return progress;
    }
    const mse = await validationMse(model, data.validation);
    const improved = progress.bestValidationMse === null || mse < progress.bestValidationMse;
    progress = {
      epoch: epoch + 1,
      bestValidationMse: improved ? mse : progress.bestValidationMse,
      bestEpoch: improved ? epoch + 1 : progress.bestEpoch,
      validationCurve: [...progress.validationCurve, mse],
    };
    if (hooks.saveCheckpoint) {
      const bytes = await saveCheckpoint(model, progress);
      await hooks.saveCheckpoint(bytes, "last");
      if (improved) await hooks.saveCheckpoint(bytes, "best");
    }
    await hooks.onEpoch?.({ epoch, validationMse: mse, progress, improved, elapsedMs: hooks.now() - start });
  }
  return progress;
}
