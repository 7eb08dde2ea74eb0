// Creating tensors: from data, constants, and seeded random values.
import { Tensor, fromData, fill } from "../autograd/tensor.js";

export interface TensorOptions {
  requiresGrad?: boolean;
}

/** A tensor holding `data` (row-major, NCHW) with the given shape. */
export function tensor(data: ArrayLike<number>, shape: readonly number[], options: TensorOptions = {}): Tensor {
  return fromData(data, shape, options.requiresGrad ?? false);
}

export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  const t = fill(shape, 0);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  const t = fill(shape, 1);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

export function full(shape: readonly number[], value: number): Tensor {
  return fill(shape, value);
}
