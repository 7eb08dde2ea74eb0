// The public API, PyTorch-like: `await init()`, then tensors, ops, F, nn and Adam.
import { createRuntime, setRuntime, runtime, type InitOptions, type AdapterReport } from "./gpu/index.js";

export { Tensor, noGrad, topologicalOrder, isGradEnabled } from "./autograd/tensor.js";
export { scope, keep } from "./autograd/scope.js";
export { OPS, opOf, type OpName, type OpInfo, type OpCategory, type TensorName } from "./autograd/op-table.js";
export { runtime, GpuError, type AdapterReport, type RuntimeStats, type ProfileEntry, type TuneResult, type InitOptions } from "./gpu/index.js";
export * from "./ops/creation.js";
export * as F from "./ops/functional.js"; // it installs the Tensor methods (ops/methods.ts)
export { CONV_KERNEL_VARIANTS, convKernelVariants, type ConvKernelFamily } from "./ops/conv.js";
export { sum, mean } from "./ops/reduce.js";
export { matmul } from "./ops/matmul.js";
export { add, sub, mul, div, neg, square } from "./ops/arithmetic.js";
export { reshape, flatten, pad, narrow, concat } from "./ops/shape.js";
export { rand, randn, manualSeed } from "./ops/random.js";
export * as nn from "./nn/index.js";
export { Adam, type AdamOptions } from "./optim/adam.js";
// Generic files and pictures, no GPU needed: safetensors, PNG, line charts, a seeded CPU RNG.
export { serializeSafetensors, parseSafetensors, SafetensorsError, type F32Tensor, type SafetensorsFile } from "./io/safetensors.js";
export { encodePng, encodePngCompressed, imageGrid, type Image8, type GridOptions } from "./io/png.js";
export { lineChart, type Series, type ChartOptions } from "./io/plot.js";
export { Rng } from "./io/rng.js";

/** Acquires a WebGPU device (or uses the one given) and makes it the engine's. Returns the adapter's info. */
export async function init(options: InitOptions = {}): Promise<AdapterReport> {
  const rt = await createRuntime(options);
  setRuntime(rt);
  return rt.adapter;
}

/** Live GPU buffers and bytes, dispatches, submits and readbacks so far. */
export function memoryStats() {
  return runtime().stats();
}
