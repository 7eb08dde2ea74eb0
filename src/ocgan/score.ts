// The novelty score of the spec: per-image MSE(x, De(En(x))) with no noise and
// batch norm in eval mode (running statistics). Higher = more novel.
import { noGrad } from "../autograd/tensor.js";
import { scope, keep } from "../autograd/scope.js";
import { fromData, type Tensor } from "../autograd/tensor.js";
import { mean, square, sub, concat } from "../ops/functional.js";
import type { Module } from "../nn/index.js";
import { runtime } from "../gpu/index.js";

const PIXELS = 32 * 32;
/** Images scored per batch. */
const SCORE_BATCH = 256;

/**
 * Scores `count` images of 32x32 (model input scale, [-1, 1]) in batches. All
 * batches' scores stay on the GPU and are read back once at the end. A short
 * batch is padded to full size (batch norm runs in eval mode, so the padding
 * changes no score): then every set of images meets the same layer shapes,
 * whose kernels the run chose before training (src/gpu/tuner.ts).
 */
export async function noveltyScores(En: Module, De: Module, images: Float32Array, batch = SCORE_BATCH): Promise<Float32Array> {
  const count = images.length / PIXELS;
  if (!Number.isInteger(count)) throw new Error(`noveltyScores: ${images.length} values is not a whole number of 32x32 images`);
  if (count === 0) return new Float32Array(0);
  const wasTraining = [En.training, De.training];
  En.eval();
  De.eval();
  try {
    const parts: Tensor[] = [];
    for (let start = 0; start < count; start += batch) {
      const n = batch;
      let values = images.subarray(start * PIXELS, (start + n) * PIXELS);
      if (values.length < n * PIXELS) {
        const padded = new Float32Array(n * PIXELS);
        padded.set(values);
        values = padded;
      }
      parts.push(
        keep(
          noGrad(() =>
            scope(() => {
              const x = fromData(values, [n, 1, 32, 32]);
              return mean(square(sub(De.forward(En.forward(x)), x)), [1, 2, 3]);
            }),
          ),
        ),
      );
      if (parts.length % 8 === 0) runtime().flush(); // lets the pool reuse freed batches
    }
    const all = parts.length === 1 ? parts[0] : keep(noGrad(() => concat(parts, 0)));
    const scores = (await all.toArray()).slice(0, count);
    for (const p of new Set([...parts, all])) p.dispose();
    return scores;
  } finally {
    En.train(wasTraining[0]);
    De.train(wasTraining[1]);
  }
}
