// The table of ops: every name the tape can give a tensor, with a short label
// and a category for people (the graph view, error messages). A tensor's `op`
// is typed by this table, so a misspelt op name is a type error.
//
// Buffers an op makes along the way (a backward rule's gradients, partial
// sums, scratch) are named after their op with a suffix: "conv2d_weight_grad",
// "sum_partial". Op names themselves are camelCase, never with "_", so the
// op of any tensor name is the part before the first "_" (opOf).

export type OpCategory = "data" | "autograd" | "arithmetic" | "activation" | "normalization" | "linear" | "convolution" | "reduction" | "shape" | "loss";

export interface OpInfo {
  label: string;
  category: OpCategory;
}

export const OPS = {
  // Tensors that enter the graph from outside (no inputs).
  leaf: { label: "uploaded from the CPU", category: "data" },
  empty: { label: "uninitialised tensor", category: "data" },
  rand: { label: "uniform random", category: "data" },
  randn: { label: "normal random", category: "data" },
  // Views and the autograd engine's own.
  view: { label: "view", category: "autograd" },
  detach: { label: "detached view (no gradient)", category: "autograd" },
  accumulate: { label: "gradient sum", category: "autograd" },
  // src/ops/, file by file.
  add: { label: "a + b", category: "arithmetic" },
  sub: { label: "a − b", category: "arithmetic" },
  mul: { label: "a × b", category: "arithmetic" },
  div: { label: "a ÷ b", category: "arithmetic" },
  neg: { label: "−x", category: "arithmetic" },
  square: { label: "x²", category: "arithmetic" },
  tanh: { label: "tanh", category: "activation" },
  sigmoid: { label: "sigmoid", category: "activation" },
  relu: { label: "ReLU", category: "activation" },
  leakyRelu: { label: "leaky ReLU", category: "activation" },
  clamp: { label: "clamp to [lo, hi]", category: "activation" },
  batchNorm: { label: "batch norm", category: "normalization" },
  batchNormLeakyRelu: { label: "batch norm + leaky ReLU (fused)", category: "normalization" },
  matmul: { label: "matrix product", category: "linear" },
  linear: { label: "x Wᵀ + b", category: "linear" },
  conv2d: { label: "2-D convolution", category: "convolution" },
  convTranspose2d: { label: "transposed 2-D convolution", category: "convolution" },
  sum: { label: "sum", category: "reduction" },
  mean: { label: "mean", category: "reduction" },
  sumToShape: { label: "sum back to a broadcast operand's shape", category: "reduction" },
  reshape: { label: "reshape (view)", category: "shape" },
  flatten: { label: "flatten (view)", category: "shape" },
  pad: { label: "pad", category: "shape" },
  narrow: { label: "narrow (crop)", category: "shape" },
  concat: { label: "concatenate", category: "shape" },
  mseLoss: { label: "mean squared error", category: "loss" },
  bceWithLogits: { label: "binary cross entropy on logits", category: "loss" },
} as const satisfies Record<string, OpInfo>;

export type OpName = keyof typeof OPS;

/** A tensor's name: its op, or, for a buffer made inside an op, the op and what the buffer is ("mseLoss_backward_input"). */
export type TensorName = OpName | `${OpName}_${string}`;

/** The op a tensor name belongs to. */
export function opOf(name: TensorName): OpName {
  return name.split("_")[0] as OpName;
}
