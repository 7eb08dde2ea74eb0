// Mean losses, as torch.nn.functional.mse_loss and binary_cross_entropy_with_logits
// with reduction "mean": each forward is two dispatches (partial sums, then
// their mean, the 0-d result); each gradient is one elementwise dispatch.
//   mse:  L = mean((a - b)²)                            dL/da = 2 (a - b) / n = -dL/db
//   bce:  L = mean(max(x, 0) - x t + log(1 + exp(-|x|)))  dL/dx = (sigmoid(x) - t) / n,  dL/dt = -x / n
import { record, empty, sameShape, type Tensor } from "../autograd/tensor.js";
import type { OpName, TensorName } from "../autograd/op-table.js";
import { runtime } from "../gpu/index.js";
import { kernel, launchElementwise, shapeString } from "./launch.js";
import lossWgsl from "../../shaders/loss.wgsl";

const FILE = "loss.wgsl";

interface Target {
  buffer: GPUBuffer;
  scalar: boolean;
  value: number;
}

/** Partial sums of a forward: enough invocations to fill the device, each adding at least MIN_PER_PART terms. */
const MAX_PARTS = 4096;
const MIN_PER_PART = 32;

function params(n: number, target?: Target, parts = 0) {
  return { n, parts, scalar_target: target?.scalar ? 1 : 0, target_value: target?.value ?? 0 };
}

function requireSameShape(op: string, a: Tensor, b: Tensor, what: string): void {
  if (!sameShape(a.shape, b.shape)) throw new Error(`${op}: ${what} ${shapeString(a.shape)} and ${shapeString(b.shape)} must have the same shape`);
}

/** The forward: partial sums by `entry`, then their mean, a 0-d loss. */
function meanOf(entry: string, buffers: Record<string, GPUBuffer>, n: number, op: OpName, target?: Target): Tensor {
  const parts = Math.max(1, Math.min(MAX_PARTS, Math.ceil(n / MIN_PER_PART)));
  const partials = empty([parts], `${op}_partials`);
  launchElementwise(kernel(FILE, lossWgsl, entry), { ...buffers, partials_out: partials.buffer }, params(n, target, parts), parts);
  const loss = empty([], op);
  runtime().launch(kernel(FILE, lossWgsl, "mean_of_partials"), { partials: partials.buffer, loss: loss.buffer }, params(n, target, parts), [1]);
  partials.dispose();
  return loss;
}

/** An elementwise gradient kernel writing a tensor of `shape`. */
function gradient(entry: string, buffers: Record<string, GPUBuffer>, shape: readonly number[], op: TensorName, target?: Target): Tensor {
  const d = empty(shape, op);
  const n = d.size;
  launchElementwise(kernel(FILE, lossWgsl, entry), { ...buffers, dinput: d.buffer }, params(n, target), n);
  return d;
}

/** mean((input - target)²), a 0-d tensor; both operands receive gradients. */
export function mseLoss(input: Tensor, target: Tensor): Tensor {
  requireSameShape("mseLoss", input, target, "input and target");
  const loss = meanOf("mse_partial", { a: input.buffer, b: target.buffer }, input.size, "mseLoss");
  return record("mseLoss", [input, target], loss, (g) => [
    input.requiresGrad ? gradient("mse_backward", { a: input.buffer, b: target.buffer, grad: g.buffer }, input.shape, "mseLoss_backward_input") : null,
    target.requiresGrad ? gradient("mse_backward", { a: target.buffer, b: input.buffer, grad: g.buffer }, target.shape, "mseLoss_backward_target") : null,
  ]);
}

/**
 * Binary cross entropy on logits, mean over every element, a 0-d tensor:
 * mean(max(x, 0) - x t + log(1 + exp(-|x|))), stable for any x. The target is
 * a tensor of the logits' shape, or one number (e.g. 1 or 0) for every element.
 */
export function bceWithLogits(logits: Tensor, target: Tensor | number): Tensor {
  if (typeof target !== "number") requireSameShape("bceWithLogits", logits, target, "logits and target");
  // A number target is passed by value; the unread `targets` binding gets the logits.
  const t: Target = typeof target === "number"
    ? { buffer: logits.buffer, scalar: true, value: target }
    : { buffer: target.buffer, scalar: false, value: 0 };
  const n = logits.size;
  const loss = meanOf("bce_partial", { logits: logits.buffer, targets: t.buffer }, n, "bceWithLogits", t);
  const inputs = typeof target === "number" ? [logits] : [logits, target];
  return record("bceWithLogits", inputs, loss, (g) => {
    const dLogits = logits.requiresGrad
      ? gradient("bce_backward", { logits: logits.buffer, targets: t.buffer, grad: g.buffer }, logits.shape, "bceWithLogits_backward_logits", t)
      : null;
    if (typeof target === "number") return [dLogits];
    const dTarget = target.requiresGrad
      ? gradient("bce_backward_target", { logits: logits.buffer, grad: g.buffer }, target.shape, "bceWithLogits_backward_target", t)
      : null;
    return [dLogits, dTarget];
  });
}
