// Initialisers that fill a parameter in place from the seeded GPU generator.
import { runtime } from "../gpu/index.js";
import { noGrad, type Tensor } from "../autograd/tensor.js";
import { rand, randn } from "../ops/random.js";
import { fill } from "../autograd/tensor.js";

function overwrite(target: Tensor, make: () => Tensor): void {
  noGrad(() => {
    const values = make();
    runtime().copy(values.buffer, target.buffer, target.size * 4);
    values.dispose();
  });
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  overwrite(t, () => randn(t.shape, { mean, std }));
  return t;
}

export function uniform_(t: Tensor, lo: number, hi: number): Tensor {
  overwrite(t, () => rand(t.shape, { lo, hi }));
  return t;
}

export function constant_(t: Tensor, value: number): Tensor {
  overwrite(t, () => fill(t.shape, value));
  return t;
}

/** fan_in of a weight: everything but dim 0 (Conv2d, Linear) or but dim 1 (ConvTranspose2d, PyTorch's rule). */
export function fanIn(shape: readonly number[], transposed = false): number {
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return (transposed ? shape[0] : shape[1] ?? 1) * receptive;
}
