// Creating tensors: from data, constants, and seeded random values.
import { Tensor, fromData, fill } from "../autograd/tensor.js";

export interface TensorOptions {
  requiresGrad?: boolean;
}

/** A tensor holding `data` (row-major, NCHW) with the given shape. */
export function tensor(data: ArrayLike<number>, shape: readonly number[], options: TensorOptions = {}): Tensor {
  return fromData(data, shape, options.requiresGrad ?? false);
}

/** A tensor of `shape` with every element equal to `value`. */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  const t = fill(shape, value);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}
