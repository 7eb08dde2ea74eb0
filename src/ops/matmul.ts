// Matrix products: matmul(a, b) and linear(x, w, b) = x·wᵀ + b, as in PyTorch,
// and gemm(), the strided batched product that they and a convolution's input
// gradient (src/ops/conv.ts) launch on shaders/matmul.wgsl.
//
// Every product, forward or backward, is one launch; an operand stored
// transposed is read through its strides, never copied:
//   matmul   out = A·B        dA = dOut·Bᵀ          dB = Aᵀ·dOut
//   linear   y = X·Wᵀ + b     dX = dY·W             dW = dYᵀ·X      db = Σ_rows dY
import { record, empty, type Tensor } from "../autograd/tensor.js";
import type { TensorName } from "../autograd/op-table.js";
import { runtime, grid, joinWgsl, type JoinedWgsl } from "../gpu/index.js";
import { kernel, launchElementwise, shapeString } from "./launch.js";
import matmulWgsl from "../../shaders/matmul.wgsl";
import block8x8Wgsl from "../../shaders/block8x8.wgsl";

/** Rows and columns of the output block one product invocation computes (shaders/block8x8.wgsl). */
export const BLOCK = 8;

/** A kernel's file with the 8x8 block its products accumulate (block8x8.wgsl) appended. */
export function withBlock8x8(file: string, source: string): JoinedWgsl {
  return joinWgsl([file, source], ["block8x8.wgsl", block8x8Wgsl]);
}

const matmulSource = withBlock8x8("matmul.wgsl", matmulWgsl);
const WORKGROUP = 64;

/** A strided view of one operand: element offsets per batch, per row or column, and along the depth. */
export interface GemmA { buffer: GPUBuffer; batch?: number; row: number; depth: number }
export interface GemmB { buffer: GPUBuffer; batch?: number; col: number; depth: number }
export interface GemmC { buffer: GPUBuffer; batch?: number; row: number; col: number }

/**
 * c[b][i, j] = Σ_{k < depth} a[b][i, k] · b[b][k, j] (+ bias[i·bias.row + j·bias.col])
 * for b < batches, i < m, j < n; see shaders/matmul.wgsl for the addressing.
 * A product with fewer rows than a block and more columns is computed
 * transposed (cᵀ = bᵀ·aᵀ), so that 8x8 blocks are not mostly empty.
 */
export function gemm(
  s: { m: number; n: number; depth: number; batches?: number; a: GemmA; b: GemmB; c: GemmC; bias?: { buffer: GPUBuffer; row: number; col: number } },
): void {
  if (s.m < BLOCK && s.n > s.m) {
    return gemm({
      m: s.n, n: s.m, depth: s.depth, batches: s.batches,
      a: { buffer: s.b.buffer, batch: s.b.batch, row: s.b.col, depth: s.b.depth },
      b: { buffer: s.a.buffer, batch: s.a.batch, col: s.a.row, depth: s.a.depth },
      c: { buffer: s.c.buffer, batch: s.c.batch, row: s.c.col, col: s.c.row },
      bias: s.bias && { buffer: s.bias.buffer, row: s.bias.col, col: s.bias.row },
    });
  }
  const batches = s.batches ?? 1;
  if (s.m === 0 || s.n === 0 || batches === 0) return;
  // The shape and strides are the shader's overrides: a pipeline per product shape.
  const constants = {
    M: s.m, N: s.n, DEPTH: s.depth, BATCHES: batches,
    A_BATCH: s.a.batch ?? 0, A_ROW: s.a.row, A_DEPTH: s.a.depth,
    B_BATCH: s.b.batch ?? 0, B_COL: s.b.col, B_DEPTH: s.b.depth,
    C_BATCH: s.c.batch ?? 0, C_ROW: s.c.row, C_COL: s.c.col,
    BIAS_ROW: s.bias?.row ?? 0, BIAS_COL: s.bias?.col ?? 0, HAS_BIAS: s.bias ? 1 : 0,
  };
  // Without a bias the kernel never reads `bias`; any buffer fills the binding.
  const buffers = { a: s.a.buffer, b: s.b.buffer, c_out: s.c.buffer, bias: s.bias?.buffer ?? s.a.buffer };
  const invocations = Math.ceil(s.m / BLOCK) * Math.ceil(s.n / BLOCK) * batches;
  runtime().launch(kernel("matmul.wgsl", matmulSource, "matmul", constants), buffers, {}, grid(Math.ceil(invocations / WORKGROUP)));
}

/** One operand of a product: its buffer, and whether it is stored transposed. */
interface Operand {
  buffer: GPUBuffer;
  transposed: boolean;
}

/**
 * out[m, n] = op(A)[m, k] · op(B)[k, n] (+ bias[n]), where op(A) = A for A stored
 * row-major as [m, k], or Aᵀ for A stored as [k, m]; the same for B.
 */
function product(a: Operand, b: Operand, m: number, n: number, k: number, outShape: readonly number[], op: TensorName, bias?: GPUBuffer): Tensor {
  const out = empty(outShape, op);
  gemm({
    m, n, depth: k,
    a: { buffer: a.buffer, row: a.transposed ? 1 : k, depth: a.transposed ? m : 1 },
    b: { buffer: b.buffer, col: b.transposed ? k : 1, depth: b.transposed ? 1 : n },
    c: { buffer: out.buffer, row: n, col: 1 },
    bias: bias && { buffer: bias, row: 0, col: 1 },
  });
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
function columnSums(x: Tensor, rows: number, cols: number, op: TensorName): Tensor {
  const sums = empty([cols], op);
  const k = kernel("matmul.wgsl", matmulSource, "column_sums");
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
