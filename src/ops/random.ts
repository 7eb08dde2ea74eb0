// Seeded random tensors generated on the GPU (shaders/random.wgsl). Each call
// without an explicit seed takes the next stream of the global generator, so a
// run is reproducible from manualSeed() alone and never uploads noise.
import { empty, type Tensor } from "../autograd/tensor.js";
import type { OpName } from "../autograd/op-table.js";
import { kernel, launchElementwise } from "./launch.js";
import randomWgsl from "../../shaders/random.wgsl";

let globalSeed = 0;
let nextStream = 0;

/** Sets the seed of every later rand/randn call that does not pass its own. */
export function manualSeed(seed: number): void {
  globalSeed = seed >>> 0;
  nextStream = 0;
}

export interface RandomOptions {
  /** Draw from this seed instead of the global generator (same seed and stream, same values). */
  seed?: number;
  stream?: number;
  requiresGrad?: boolean;
}

function draw(op: OpName, entry: string, shape: readonly number[], a: number, b: number, o: RandomOptions): Tensor {
  const out = empty(shape, op);
  const seed = o.seed ?? globalSeed;
  const stream = o.stream ?? (o.seed === undefined ? nextStream++ : 0);
  launchElementwise(kernel("random.wgsl", randomWgsl, entry), { out: out.buffer }, { n: out.size, seed: seed >>> 0, stream: stream >>> 0, a, b }, out.size);
  out.requiresGrad = o.requiresGrad ?? false;
  return out;
}

/** Uniform on [lo, hi) (default [0, 1)). */
export function rand(shape: readonly number[], options: RandomOptions & { lo?: number; hi?: number } = {}): Tensor {
  return draw("rand", "uniform_fill", shape, options.lo ?? 0, options.hi ?? 1, options);
}

/** Normal with the given mean and standard deviation (default N(0, 1)). */
export function randn(shape: readonly number[], options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  return draw("randn", "normal_fill", shape, options.mean ?? 0, options.std ?? 1, options);
}
