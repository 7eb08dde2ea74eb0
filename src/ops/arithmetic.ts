// Elementwise arithmetic with NumPy/PyTorch broadcasting: add, sub, mul, div,
// and neg and square. Either operand of add/sub/mul/div may be a plain number.
//
// Broadcasting aligns shapes on the right; a dimension of size 1 (or a missing
// leading one) stretches to the other operand's size. The output's dimensions
// are merged where both operands broadcast alike, so [N,C,H,W] with [1,C,1,1]
// runs as [N, C, H*W] with strides (C*H*W, H*W, 1) and (0, 1, 0); the kernel in
// shaders/binary.wgsl takes up to six merged dimensions, which covers any two
// operands of rank up to six.
//
// Backward: the gradient of a broadcast operand is the output's gradient summed
// over the dimensions it was stretched along (sumToShape, in reduce.ts).
import { record, empty, sameShape, type Tensor } from "../autograd/tensor.js";
import type { TensorName } from "../autograd/op-table.js";
import { laneVariants } from "../gpu/index.js";
import { launchElementwise, launchOverLanes, laneKernel, shapeString } from "./launch.js";
import { sumToShape } from "./reduce.js";
import binaryWgsl from "../../shaders/binary.wgsl";

type BinaryOp = "add" | "sub" | "mul" | "div";

const OP_CODE: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };
const MAX_MERGED_DIMS = 6;

/** Params of binary.wgsl members that an entry point does not read (all must be filled). */
const UNUSED_BROADCAST = {
  d1: 1, d2: 1, d3: 1, d4: 1, d5: 1,
  a0: 0, a1: 0, a2: 0, a3: 0, a4: 0, a5: 0,
  b0: 0, b1: 0, b2: 0, b3: 0, b4: 0, b5: 0,
};

/** The broadcast shape of `a` and `b`, or an error naming `op` and both shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let j = 0; j < rank; j++) {
    const da = a[j - (rank - a.length)] ?? 1;
    const db = b[j - (rank - b.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: shapes ${shapeString(a)} and ${shapeString(b)} cannot be broadcast together ` +
          `(dimension ${j - rank}: ${da} vs ${db})`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * The output's dimensions merged where both operands broadcast alike, outermost
 * first, with each operand's element stride per merged dimension (0 = broadcast).
 */
function mergedLayout(out: readonly number[], a: readonly number[], b: readonly number[]) {
  const rank = out.length;
  const dims: { size: number; aBroadcast: boolean; bBroadcast: boolean }[] = [];
  out.forEach((size, j) => {
    if (size === 1) return;
    const aBroadcast = (a[j - (rank - a.length)] ?? 1) === 1;
    const bBroadcast = (b[j - (rank - b.length)] ?? 1) === 1;
    const last = dims[dims.length - 1];
    if (last && last.aBroadcast === aBroadcast && last.bBroadcast === bBroadcast) last.size *= size;
    else dims.push({ size, aBroadcast, bBroadcast });
  });
  const strides = (broadcast: (d: (typeof dims)[number]) => boolean) => {
    const result = new Array<number>(dims.length);
    let running = 1;
    for (let k = dims.length - 1; k >= 0; k--) {
      result[k] = broadcast(dims[k]) ? 0 : running;
      if (!broadcast(dims[k])) running *= dims[k].size;
    }
    return result;
  };
  return {
    sizes: dims.map((d) => d.size),
    aStrides: strides((d) => d.aBroadcast),
    bStrides: strides((d) => d.bBroadcast),
  };
}

const binarySource = laneVariants("binary.wgsl", binaryWgsl);

/** scale * (a OP b) with broadcasting, into a new tensor; not recorded on the tape. */
function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, scale: number, name: TensorName): Tensor {
  const common = { op: OP_CODE[op], scale, c: 0, swap: 0 };
  if (sameShape(a.shape, b.shape)) {
    const out = empty(a.shape, name);
    launchOverLanes(binarySource, "binary_same", { a: a.buffer, b: b.buffer, out: out.buffer }, { ...common, ...UNUSED_BROADCAST }, out.size);
    return out;
  }
  const outShape = broadcastShapes(name, a.shape, b.shape);
  const { sizes, aStrides, bStrides } = mergedLayout(outShape, a.shape, b.shape);
  if (sizes.length > MAX_MERGED_DIMS) {
    throw new Error(
      `${name}: broadcasting ${shapeString(a.shape)} with ${shapeString(b.shape)} needs ${sizes.length} ` +
        `merged dimensions; the kernel supports ${MAX_MERGED_DIMS}`,
    );
  }
  // Right-align into the kernel's six slots; slot 0 is the outermost.
  const pad = MAX_MERGED_DIMS - sizes.length;
  const slot = (values: number[], k: number, missing: number) => (k < pad ? missing : values[k - pad]);
  const dims: Record<string, number> = {};
  for (let k = 0; k < MAX_MERGED_DIMS; k++) {
    if (k > 0) dims[`d${k}`] = slot(sizes, k, 1);
    dims[`a${k}`] = slot(aStrides, k, 0);
    dims[`b${k}`] = slot(bStrides, k, 0);
  }
  const out = empty(outShape, name);
  launchElementwise(laneKernel(binarySource, 1, "binary_broadcast"), { a: a.buffer, b: b.buffer, out: out.buffer }, { ...common, ...dims, n: out.size }, out.size);
  return out;
}

/** scale * (x OP c), or scale * (c OP x) when `swap`, into a new tensor; not recorded on the tape. */
function scalarRaw(op: BinaryOp, x: Tensor, c: number, swap: boolean, scale: number, name: TensorName): Tensor {
  const out = empty(x.shape, name);
  const params = { ...UNUSED_BROADCAST, op: OP_CODE[op], scale, c, swap: swap ? 1 : 0 };
  launchOverLanes(binarySource, "binary_scalar", { a: x.buffer, out: out.buffer }, params, out.size);
  return out;
}

/** Sums a gradient term back to an operand's shape, releasing the term. */
function reduceTo(term: Tensor, shape: readonly number[], scale = 1): Tensor {
  const result = sumToShape(term, shape, scale);
  term.dispose(); // a view returned by sumToShape keeps the storage alive
  return result;
}

/** d(a OP b)/da and /db for two tensors, each summed back to its operand's shape. */
function tensorGradients(op: BinaryOp, a: Tensor, b: Tensor, out: Tensor, g: Tensor): (Tensor | null)[] {
  const name: TensorName = `${op}_backward`;
  switch (op) {
    case "add":
      return [a.requiresGrad ? sumToShape(g, a.shape) : null, b.requiresGrad ? sumToShape(g, b.shape) : null];
    case "sub":
      return [a.requiresGrad ? sumToShape(g, a.shape) : null, b.requiresGrad ? sumToShape(g, b.shape, -1) : null];
    case "mul":
      return [
        a.requiresGrad ? reduceTo(binaryRaw("mul", g, b, 1, name), a.shape) : null,
        b.requiresGrad ? reduceTo(binaryRaw("mul", g, a, 1, name), b.shape) : null,
      ];
    case "div": {
      // d(a/b)/da = 1/b; d(a/b)/db = -a/b^2 = -out/b.
      let dB: Tensor | null = null;
      if (b.requiresGrad) {
        const gOut = binaryRaw("mul", g, out, 1, name);
        dB = reduceTo(binaryRaw("div", gOut, b, -1, name), b.shape);
        gOut.dispose();
      }
      return [a.requiresGrad ? reduceTo(binaryRaw("div", g, b, 1, name), a.shape) : null, dB];
    }
  }
}

/** d(x OP c)/dx (or d(c OP x)/dx when `swap`) for a number c. */
function scalarGradient(op: BinaryOp, x: Tensor, c: number, swap: boolean, out: Tensor, g: Tensor): Tensor {
  const name: TensorName = `${op}_backward`;
  switch (op) {
    case "add":
      return g;
    case "sub":
      return swap ? scalarRaw("mul", g, -1, false, 1, name) : g;
    case "mul":
      return scalarRaw("mul", g, c, false, 1, name);
    case "div": {
      if (!swap) return scalarRaw("div", g, c, false, 1, name);
      // d(c/x)/dx = -c/x^2 = -out/x.
      const gOut = binaryRaw("mul", g, out, 1, name);
      const dx = binaryRaw("div", gOut, x, -1, name);
      gOut.dispose();
      return dx;
    }
  }
}

function arithmetic(op: BinaryOp, a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === "number" && typeof b === "number") {
    throw new Error(`${op}: at least one operand must be a tensor, got the numbers ${a} and ${b}`);
  }
  if (typeof b === "number") {
    const x = a as Tensor;
    const out = scalarRaw(op, x, b, false, 1, op);
    return record(op, [x], out, (g) => [scalarGradient(op, x, b, false, out, g)]);
  }
  if (typeof a === "number") {
    const out = scalarRaw(op, b, a, true, 1, op);
    return record(op, [b], out, (g) => [scalarGradient(op, b, a, true, out, g)]);
  }
  const out = binaryRaw(op, a, b, 1, op);
  return record(op, [a, b], out, (g) => tensorGradients(op, a, b, out, g));
}

/** a + b, broadcasting; either may be a number. */
export function add(a: Tensor | number, b: Tensor | number): Tensor {
  return arithmetic("add", a, b);
}

/** a - b, broadcasting; either may be a number (sub(1, x) is 1 - x). */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  return arithmetic("sub", a, b);
}

/** a * b, broadcasting; either may be a number. */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  return arithmetic("mul", a, b);
}

/** a / b, broadcasting; either may be a number. Division by zero gives ±inf or NaN, as in PyTorch. */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  return arithmetic("div", a, b);
}

/** -x. */
export function neg(x: Tensor): Tensor {
  const out = scalarRaw("mul", x, -1, false, 1, "neg");
  return record("neg", [x], out, (g) => [scalarRaw("mul", g, -1, false, 1, "neg_backward")]);
}

/** x * x, with gradient 2 x g (one dispatch each way). */
export function square(x: Tensor): Tensor {
  const out = binaryRaw("mul", x, x, 1, "square");
  return record("square", [x], out, (g) => [binaryRaw("mul", g, x, 2, "square_backward")]);
}
