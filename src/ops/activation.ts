// Elementwise activations: tanh, sigmoid, relu, leakyRelu, clamp.
// Forward and backward of each in shaders/unary.wgsl; the rules here only pick
// the entry point and what the backward kernel reads (the output y for tanh and
// sigmoid, the input x for the rest).
import { record, empty, type Tensor } from "../autograd/tensor.js";
import type { OpName } from "../autograd/op-table.js";
import { laneVariants } from "../gpu/index.js";
import { launchOverLanes } from "./launch.js";
import unaryWgsl from "../../shaders/unary.wgsl";

type Unary = "tanh" | "sigmoid" | "leaky_relu" | "clamp";

interface UnaryParams { slope?: number; lo?: number; hi?: number }

const unarySource = laneVariants("unary.wgsl", unaryWgsl);

function run(entry: string, buffers: Record<string, GPUBuffer>, n: number, params: UnaryParams): void {
  launchOverLanes(unarySource, entry, buffers, { slope: params.slope ?? 0, lo: params.lo ?? 0, hi: params.hi ?? 0 }, n);
}

function unary(op: OpName, fn: Unary, x: Tensor, params: UnaryParams, backwardReadsOutput: boolean): Tensor {
  const y = empty(x.shape, op);
  run(`${fn}_forward`, { x: x.buffer, y: y.buffer }, x.size, params);
  return record(op, [x], y, (g) => {
    const dx = empty(x.shape, `${op}_backward`);
    const saved = backwardReadsOutput ? y : x;
    run(`${fn}_backward`, { x: saved.buffer, g: g.buffer, dx: dx.buffer }, x.size, params);
    return [dx];
  });
}

export function tanh(x: Tensor): Tensor {
  return unary("tanh", "tanh", x, {}, true);
}

export function sigmoid(x: Tensor): Tensor {
  return unary("sigmoid", "sigmoid", x, {}, true);
}

export function relu(x: Tensor): Tensor {
  return unary("relu", "leaky_relu", x, { slope: 0 }, false);
}

export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return unary("leakyRelu", "leaky_relu", x, { slope }, false);
}

/** Clamps to [lo, hi]; the gradient passes where lo <= x <= hi, as in PyTorch. */
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new Error(`clamp: lo (${lo}) must not exceed hi (${hi})`);
  return unary("clamp", "clamp", x, { lo, hi }, false);
}
