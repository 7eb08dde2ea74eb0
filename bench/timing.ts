// How the benchmark times GPU work: record R repetitions of an operation, wait
// for the GPU (runtime().sync()), divide the wall time by R; repeat that batch
// a few times and keep the median. A warm-up run first compiles every pipeline
// the operation uses, so compile time is never counted, and nothing is read back.
import { runtime, scope } from "../src/index.js";

export interface Timing {
  /** Median over batches of (batch wall time / reps), in milliseconds. */
  ms: number;
  /** Fastest batch, per repetition. */
  minMs: number;
  reps: number;
  batches: number;
}

export interface TimingOptions {
  /** Wall time one batch should take, roughly (ms). */
  targetMs: number;
  batches: number;
  maxReps: number;
}

export const now = () => performance.now();

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `op` once per repetition inside its own scope (so each repetition frees what it made). */
function record(op: () => void, reps: number): void {
  for (let r = 0; r < reps; r++) scope(op);
}

/** Times `op` (which records GPU work and returns nothing worth keeping). */
export async function timeOp(op: () => void, o: TimingOptions): Promise<Timing> {
  const rt = runtime();
  let t = now();
  record(op, 1); // warm-up: compiles pipelines, fills the buffer pool
  await rt.sync();
  if (rt.tuner.pendingCount > 0) {
    // The op met shapes with several kernel variants: choose them as training does, then warm up the chosen ones.
    await rt.tune();
    t = now();
    record(op, 1);
    await rt.sync();
  }
  const warmMs = now() - t;
  let reps = 1;
  let batches = o.batches;
  if (warmMs >= 2 * o.targetMs) {
    // A slow op (even counting its compile): one repetition a batch, three batches.
    batches = Math.min(batches, 3);
  } else {
    // Calibration: double the repetitions until a batch takes a tenth of the target,
    // so one slow wait for the GPU cannot make a fast op look slow.
    let batchMs = 0;
    for (;;) {
      t = now();
      record(op, reps);
      await rt.sync();
      batchMs = now() - t;
      if (batchMs >= o.targetMs / 10 || reps >= o.maxReps) break;
      reps *= 2;
    }
    reps = Math.max(1, Math.min(o.maxReps, Math.round((reps * o.targetMs) / Math.max(batchMs, 0.01))));
  }
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    t = now();
    record(op, reps);
    await rt.sync();
    samples.push((now() - t) / reps);
  }
  return { ms: median(samples), minMs: Math.min(...samples), reps, batches };
}
