// Tensor and reverse-mode autograd, the whole idea in one file.
//
// Every op that produces a tensor from inputs that need gradients records, on
// the output, the op's name, its inputs and a backward rule: a function from
// the gradient of the output to the gradients of the inputs. That record is
// the tape. `backward()` orders the recorded graph topologically from the
// output, seeds d(out)/d(out) = 1, and walks it in reverse, calling each rule
// and summing the gradients of a tensor used more than once. Leaves that
// require gradients (parameters, or an input such as OCGAN's mined latent)
// receive theirs in `.grad`. The chain rule is the loop in backward(); who owns
// which GPU buffer meanwhile (aliases, sums, freeing) is class Gradients below it.
//
// Storage is a float32 GPU buffer, NCHW, contiguous. Views (reshape, detach)
// share storage, which is reference-counted and returned to the pool when the
// last tensor using it is disposed.

import { runtime, grid, laneVariants, laneSource, lanesFor } from "../gpu/index.js";
import { track, keep } from "./scope.js";
import accumulateWgsl from "../../shaders/accumulate.wgsl";
import type { OpName, TensorName } from "./op-table.js";

/** Maps the gradient of an op's output to the gradients of its inputs (null where none is needed). */
export type BackwardRule = (grad: Tensor) => (Tensor | null)[];

class Storage {
  refs = 1;
  /** The pool the buffer came from (the current runtime's when the tensor was made), which gets it back. */
  readonly pool = runtime().pool;
  constructor(readonly buffer: GPUBuffer) {}
}

let gradEnabled = true;
let nextId = 0;

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape.join(", ")}]: dimensions must be non-negative integers`);
    n *= d;
  }
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  grad: Tensor | null = null;
  /** The tape: which op made this tensor, from what, and how to send its gradient back. */
  inputs: readonly Tensor[] = [];
  backwardRule: BackwardRule | null = null;
  private storage: Storage | null;

  constructor(
    readonly shape: readonly number[],
    storage: GPUBuffer | Storage,
    public requiresGrad = false,
    /** The op that made it (set again by record()), or one of that op's buffers; see op-table.ts. */
    public op: TensorName = "leaf",
  ) {
    this.size = shapeSize(shape);
    if (storage instanceof Storage) {
      storage.refs++;
      this.storage = storage;
    } else {
      this.storage = new Storage(storage);
    }
    track(this);
  }

  /** The GPU buffer holding the values; throws after dispose(). */
  get buffer(): GPUBuffer {
    if (!this.storage) throw new Error(`tensor #${this.id} (${this.op}, [${this.shape}]) used after dispose()`);
    return this.storage.buffer;
  }

  get disposed(): boolean {
    return this.storage === null;
  }

  /** A tensor of another shape over the same storage, outside the tape. */
  view(shape: readonly number[] = this.shape, op: TensorName = "view"): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new Error(`cannot view tensor of shape [${this.shape}] (${this.size} elements) as [${shape}]`);
    }
    if (!this.storage) throw new Error(`tensor #${this.id} (${this.op}) used after dispose()`);
    return new Tensor(shape, this.storage, false, op);
  }

  /** The same values, cut from the tape: no gradient flows through it. */
  detach(): Tensor {
    return this.view(this.shape, "detach");
  }

  dispose(): void {
    const s = this.storage;
    if (!s) return;
    this.storage = null;
    this.inputs = [];
    this.backwardRule = null;
    if (--s.refs === 0) s.pool.release(s.buffer); // its own pool, even if the runtime has changed since
  }

  /** Overwrites the values in place, after all work recorded so far (initialisers, checkpoint loading). */
  write(data: Float32Array): void {
    if (data.length !== this.size) {
      throw new Error(`write(): ${data.length} values given for tensor of shape [${this.shape}] (${this.size} elements)`);
    }
    runtime().write(this.buffer, data);
  }

  /** Reads the values back (submits pending GPU work). */
  async toArray(): Promise<Float32Array> {
    return runtime().read(this.buffer, this.size * 4);
  }

  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item() needs a tensor of one element, got shape [${this.shape}]`);
    return (await this.toArray())[0];
  }

  /**
   * Reverse-mode differentiation from this tensor. Without an argument the tensor
   * must hold one element and its gradient is taken as 1. Gradients accumulate
   * into `.grad` of every leaf that requires them; the tape is freed afterwards.
   */
  backward(seed?: Tensor): void {
    if (!seed && this.size !== 1) {
      throw new Error(`backward() without a gradient needs a scalar, got shape [${this.shape}]`);
    }
    if (seed && !sameShape(seed.shape, this.shape)) {
      // As PyTorch: a seed of another shape (even of as many elements) is a mistake, never broadcast or reshaped.
      throw new Error(`backward(gradient): the gradient has shape [${seed.shape}], the tensor has shape [${this.shape}]; they must match`);
    }
    if (!this.requiresGrad) throw new Error(`backward(): tensor (${this.op}) does not require grad; nothing was recorded`);

    // The chain rule. grads holds, for each tensor reached so far, d(this)/d(tensor)
    // summed over the paths found so far; walking outputs before inputs means a
    // tensor's sum is complete when its turn comes.
    const grads = new Gradients(this, seed ? seed.view() : fill([...this.shape], 1)); // d(this)/d(this) = 1
    for (const node of topologicalOrder(this).reverse()) {
      const g = grads.take(node); // d(this)/d(node)
      if (!g) continue; // no path from this reaches it
      if (!node.backwardRule) {
        grads.addToLeaf(node, g); // a leaf: node.grad += g
        continue;
      }
      const inputGrads = node.backwardRule(g); // d(this)/d(input) = g · d(node)/d(input), for each input
      node.inputs.forEach((input, i) => {
        const ig = inputGrads[i];
        if (ig && input.requiresGrad) grads.add(input, ig); // a tensor used twice gets the sum of both paths
      });
      grads.done(node, g, inputGrads);
    }
  }
}

/**
 * The gradients backward() carries, and who owns which GPU buffer meanwhile.
 * The chain rule above only takes, adds and hands over; this class makes that
 * safe and frees everything on the way:
 * - what it stores is a view of the rule's result (views share the storage,
 *   which is reference-counted), so a rule may return its incoming gradient
 *   itself (add's with a number is g), or one tensor for two inputs;
 * - a sum of two paths is a new tensor, and both terms are freed;
 * - once a node's rule has run, its gradient, the rule's results (the views
 *   keep what is stored) and the node's tape (inputs, rule) are freed;
 * - a leaf's gradient escapes every scope (`keep`): it stays in .grad.
 */
class Gradients {
  private readonly sums = new Map<Tensor, Tensor>();

  constructor(root: Tensor, seed: Tensor) {
    this.sums.set(root, seed);
  }

  /** Removes and returns the summed gradient of `node`, which the caller now owns; null if none reached it. */
  take(node: Tensor): Tensor | null {
    const g = this.sums.get(node) ?? null;
    this.sums.delete(node);
    return g;
  }

  /** grads[input] += ig. */
  add(input: Tensor, ig: Tensor): void {
    const previous = this.sums.get(input);
    if (previous) {
      this.sums.set(input, accumulate(previous, ig));
      previous.dispose();
    } else {
      this.sums.set(input, ig.view());
    }
  }

  /** leaf.grad += g; the result outlives every scope. */
  addToLeaf(leaf: Tensor, g: Tensor): void {
    keep(g);
    if (leaf.grad) {
      const sum = keep(accumulate(leaf.grad, g));
      leaf.grad.dispose();
      g.dispose();
      leaf.grad = sum;
    } else {
      leaf.grad = g;
    }
  }

  /** After node's rule: frees its gradient, the rule's results (each once) and the node's tape. */
  done(node: Tensor, g: Tensor, inputGrads: (Tensor | null)[]): void {
    for (const t of new Set([g, ...inputGrads])) t?.dispose();
    node.inputs = [];
    node.backwardRule = null;
  }
}

/** Every tensor on the tape behind `root`, inputs before the tensors made from them. */
export function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]]; // iterative DFS: deep graphs must not overflow the JS stack
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    if (next < node.inputs.length) {
      top[1]++;
      const input = node.inputs[next];
      if (input.requiresGrad && !visited.has(input)) {
        visited.add(input);
        stack.push([input, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}

/**
 * Names `out` after `op` (a name from op-table.ts) and puts it on the tape as
 * the result of `op` applied to `inputs`, if gradients are enabled and any
 * input needs one. Every op calls this once.
 */
export function record(op: OpName, inputs: readonly Tensor[], out: Tensor, rule: BackwardRule): Tensor {
  out.op = op;
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.inputs = inputs;
    out.backwardRule = rule;
  }
  return out;
}

/** Runs fn with recording switched off (evaluation, frozen networks, optimiser updates). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** A new uninitialised tensor of `shape` whose storage comes from the pool; `op` names the op that fills it (error messages, the graph). */
export function empty(shape: readonly number[], op: TensorName = "empty"): Tensor {
  return new Tensor(shape, runtime().pool.acquire(shapeSize(shape) * 4), false, op);
}

/** A new tensor holding `data`. */
export function fromData(data: ArrayLike<number>, shape: readonly number[], requiresGrad = false): Tensor {
  const size = shapeSize(shape);
  if (data.length !== size) {
    throw new Error(`tensor(): ${data.length} values given for shape [${shape}], which holds ${size}`);
  }
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  return new Tensor(shape, runtime().upload(values), requiresGrad);
}

/** A tensor of `shape` with every element equal to `value`. */
export function fill(shape: readonly number[], value: number): Tensor {
  return fromData(new Float32Array(shapeSize(shape)).fill(value), shape);
}

const accumulateSource = laneVariants("accumulate.wgsl", accumulateWgsl);

function accumulate(a: Tensor, b: Tensor): Tensor {
  const rt = runtime();
  const out = empty(a.shape, "accumulate");
  const lanes = lanesFor(a.size);
  const { name, source } = laneSource(accumulateSource, lanes);
  const n = a.size / lanes;
  rt.launch(rt.kernel(name, source, "accumulate"), { a: a.buffer, b: b.buffer, out: out.buffer }, { n }, grid(Math.ceil(n / 256)));
  return out;
}
