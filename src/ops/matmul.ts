// Matrix products: matmul(a, b) and linear(x, w, b) = x·wᵀ + b, as in PyTorch.
//
// Every product, forward or backward, is one launch of shaders/matmul.wgsl,
// which reads either operand transposed through its strides:
//   matmul   out = A·B        dA = dOut·Bᵀ          dB = Aᵀ·dOut
//   linear   y = X·Wᵀ + b     dX = dY·W             dW = dYᵀ·X      db = Σ_rows dY
import { record, type Tensor } from "../autograd/tensor.js";
import { runtime } from "../gpu/index.js";
import { kernel, launchElementwise, output, shapeString } from "./launch.js";
import matmulWgsl from "../../shaders/matmul.wgsl";

const TILE = 32; // outputs per workgroup along each dimension: 8x8 invocations of 4x4 blocks

/** One operand of a product: its buffer, and whether it is stored transposed. */
interface Operand {
  buffer: GPUBuffer;
  transposed: boolean;
}

/**
 * out[m, n] = op(A)[m, k] · op(B)[k, n] (+ bias[n]), where op(A) = A for A stored
 * row-major as [m, k], or Aᵀ for A stored as [k, m]; the same for B.
 */
function product(a: Operand, b: Operand, m: number, n: number, k: number, outShape: readonly number[], op: string, bias?: GPUBuffer): Tensor {
  const out = output(outShape, op);
  const rowBlocks = Math.ceil(m / TILE);
  const colBlocks = Math.ceil(n / TILE);
  const params = {
    m,
    n,
    k,
    a_row: a.transposed ? 1 : k,
    a_depth: a.transposed ? m : 1,
    b_depth: b.transposed ? 1 : n,
    b_col: b.transposed ? k : 1,
  };
  const buffers: Record<string, GPUBuffer> = { a: a.buffer, b: b.buffer, out: out.buffer };
  if (bias) buffers.bias = bias;
  const entry = bias ? "matmul_bias" : "matmul";
  runtime().launch(kernel("matmul.wgsl", matmulWgsl, entry), buffers, params, [colBlocks, rowBlocks]);
  return out;
}

const plain = (t: Tensor): Operand => ({ buffer: t.buffer, transposed: false });
const transposed = (t: Tensor): Operand => ({ buffer: t.buffer, transposed: true });

/** The matrix product of a [M, K] and b [K, N]: [M, N]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new Error(`matmul: expected two 2-D tensors, got ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
  }
  const [m, k] = a.shape;
  const [kb, n] = b.shape;
  if (k !== kb) {
    throw new Error(`matmul: shapes ${shapeString(a.shape)} and ${shapeString(b.shape)} cannot be multiplied (${k} != ${kb})`);
  }
  const out = product(plain(a), plain(b), m, n, k, [m, n], "matmul");
  return record("matmul", [a, b], out, (g) => [
    a.requiresGrad ? product(plain(g), transposed(b), m, k, n, a.shape, "matmul_backward_a") : null,
    b.requiresGrad ? product(transposed(a), plain(g), k, n, m, b.shape, "matmul_backward_b") : null,
  ]);
}

/** Σ over rows of x viewed as [rows, cols]: a [cols] tensor. */
function columnSums(x: Tensor, rows: number, cols: number, op: string): Tensor {
  const sums = output([cols], op);
  const k = kernel("matmul.wgsl", matmulWgsl, "column_sums");
  launchElementwise(k, { x: x.buffer, sums: sums.buffer }, { rows, cols }, cols);
  return sums;
}

/**
 * y = x·wᵀ + b, as torch.nn.functional.linear: x [..., in], weight [out, in],
 * bias [out] or null; y [..., out].
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (weight.shape.length !== 2) {
    throw new Error(`linear: weight must be 2-D [out_features, in_features], got ${shapeString(weight.shape)}`);
  }
  const [outFeatures, inFeatures] = weight.shape;
  const xIn = x.shape[x.shape.length - 1];
  if (x.shape.length === 0 || xIn !== inFeatures) {
    throw new Error(
      `linear: input ${shapeString(x.shape)} does not end in in_features = ${inFeatures} of weight ${shapeString(weight.shape)}`,
    );
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outFeatures)) {
    throw new Error(`linear: bias must have shape [${outFeatures}] for weight ${shapeString(weight.shape)}, got ${shapeString(bias.shape)}`);
  }
  const rows = x.size / inFeatures; // leading dimensions are flattened into rows
  const yShape = [...x.shape.slice(0, -1), outFeatures];
  const y = product(plain(x), transposed(weight), rows, outFeatures, inFeatures, yShape, "linear", bias?.buffer);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record("linear", inputs, y, (g) => [
    x.requiresGrad ? product(plain(g), plain(weight), rows, inFeatures, outFeatures, x.shape, "linear_backward_x") : null,
    weight.requiresGrad ? product(transposed(g), plain(x), outFeatures, inFeatures, rows, weight.shape, "linear_backward_w") : null,
    bias?.requiresGrad ? columnSums(g, rows, outFeatures, "linear_backward_b") : null,
  ]);
}
