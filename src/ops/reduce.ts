// Reductions: sum and mean over any set of dimensions, and sumToShape, which
// the broadcasting ops use to send a gradient back to a smaller operand.
//
// A reduction is planned on the CPU as passes over contiguous views: dimensions
// of size 1 are dropped, neighbouring dimensions that are both summed (or both
// kept) are merged, and each remaining summed group becomes one pass that sums
// the middle axis of an [outer, reduce, inner] view. The innermost summed group
// goes first, so the result of each pass is again contiguous, and after the
// last pass the kept dimensions are in their original order: the output needs
// no transpose. A pass with few outputs and a long axis is itself split in two
// (partial sums, then their sum); shaders/reduce.wgsl says how a pass runs and
// why it uses no workgroup memory.
//
// Backward of a sum is the gradient copied back over the summed dimensions:
// the same passes in reverse, each an `expand`.
import { record, empty, fill, shapeSize, type Tensor } from "../autograd/tensor.js";
import type { TensorName } from "../autograd/op-table.js";
import { kernel, launchElementwise, normalizeDim, shapeString } from "./launch.js";
import reduceWgsl from "../../shaders/reduce.wgsl";

/** One pass: sum (or expand) the middle axis of a contiguous [outer, reduce, inner] view. */
interface Pass {
  outer: number;
  reduce: number;
  inner: number;
}

/** A pass adds up whole outputs in one invocation when it has this many outputs or more... */
const TARGET_INVOCATIONS = 16384;
/** ...or when each invocation would add at most twice this many elements; otherwise it splits. */
const MIN_PER_INVOCATION = 32;

/** The passes summing the dimensions of `shape` flagged in `summed`, innermost group first. */
function planPasses(shape: readonly number[], summed: readonly boolean[]): Pass[] {
  const groups: { size: number; summed: boolean }[] = [];
  shape.forEach((size, d) => {
    if (size === 1) return; // a dimension of one element changes nothing
    const last = groups[groups.length - 1];
    if (last && last.summed === summed[d]) last.size *= size;
    else groups.push({ size, summed: summed[d] });
  });
  const passes: Pass[] = [];
  for (;;) {
    let g = groups.length - 1;
    while (g >= 0 && !groups[g].summed) g--;
    if (g < 0) return passes;
    const sizes = groups.map((x) => x.size);
    passes.push({ outer: shapeSize(sizes.slice(0, g)), reduce: groups[g].size, inner: shapeSize(sizes.slice(g + 1)) });
    // Remove the summed group; the kept groups on either side now touch and merge.
    groups.splice(g, 1);
    if (g > 0 && g < groups.length) {
      groups[g - 1].size *= groups[g].size;
      groups.splice(g, 1);
    }
  }
}

function reduceKernel(entry: string) {
  return kernel("reduce.wgsl", reduceWgsl, entry);
}

/**
 * How many invocations share each output of a pass: 1 when there are outputs
 * enough to occupy the device or the summed axis is short; else enough to reach
 * about TARGET_INVOCATIONS, each adding at least MIN_PER_INVOCATION elements.
 */
function splitsFor(pass: Pass): number {
  const outputs = pass.outer * pass.inner;
  if (outputs >= TARGET_INVOCATIONS || pass.reduce <= 2 * MIN_PER_INVOCATION) return 1;
  return Math.min(Math.ceil(pass.reduce / MIN_PER_INVOCATION), Math.ceil(TARGET_INVOCATIONS / outputs));
}

/** Runs one summing pass from `src` into a new tensor of `shape`, splitting it as splitsFor says. */
function sumPass(src: Tensor, pass: Pass, scale: number, shape: readonly number[], op: TensorName): Tensor {
  const k = reduceKernel("sum_loop");
  const splits = splitsFor(pass);
  if (splits === 1) {
    const out = empty(shape, op);
    launchElementwise(k, { x: src.buffer, out: out.buffer }, { ...pass, splits, scale }, out.size);
    return out;
  }
  // Partial sums [outer, splits, inner], then those summed over `splits` (which may split again).
  const partials = empty([pass.outer, splits, pass.inner], `${op}_partial`);
  launchElementwise(k, { x: src.buffer, out: partials.buffer }, { ...pass, splits, scale: 1 }, partials.size);
  const out = sumPass(partials, { outer: pass.outer, reduce: splits, inner: pass.inner }, scale, shape, op);
  partials.dispose();
  return out;
}

/**
 * Sums `x` over the dimensions flagged in `summed`, times `scale`, into a new
 * tensor of `outShape` (which must hold the kept dimensions' elements). Not
 * recorded on the tape: the ops below and the broadcasting ops' backward rules
 * build on it.
 */
function sumRaw(x: Tensor, summed: readonly boolean[], scale: number, outShape: readonly number[], op: TensorName): Tensor {
  // No elements: a sum is 0 and a mean over nothing is 0 * (1 / 0) = NaN, as in PyTorch.
  if (x.size === 0) return fill(outShape, 0 * scale);
  const passes = planPasses(x.shape, summed);
  if (passes.length === 0) {
    // Nothing to add up (only dimensions of size 1 are summed): still a new tensor, scaled.
    return sumPass(x, { outer: x.size, reduce: 1, inner: 1 }, scale, outShape, op);
  }
  let current = x;
  passes.forEach((pass, k) => {
    const last = k === passes.length - 1;
    const next = sumPass(current, pass, last ? scale : 1, last ? outShape : [pass.outer * pass.inner], op);
    if (current !== x) current.dispose();
    current = next;
  });
  return current;
}

/** The adjoint of sumRaw: copies `g` back over the summed dimensions of `shape`, times `scale`. */
function expandRaw(g: Tensor, shape: readonly number[], summed: readonly boolean[], scale: number, op: TensorName): Tensor {
  const passes = planPasses(shape, summed).reverse();
  if (passes.length === 0) passes.push({ outer: g.size, reduce: 1, inner: 1 });
  const k = reduceKernel("expand");
  let current = g;
  passes.forEach((pass, i) => {
    const last = i === passes.length - 1;
    const next = empty(last ? shape : [pass.outer * pass.reduce * pass.inner], op);
    launchElementwise(k, { x: current.buffer, out: next.buffer }, { ...pass, splits: 1, scale: i === 0 ? scale : 1 }, next.size);
    if (current !== g) current.dispose();
    current = next;
  });
  return current;
}

/** Resolves `dims` (PyTorch style: negative counts from the end; none or [] = all) to a flag per dimension. */
function summedDims(op: string, shape: readonly number[], dims: number | readonly number[] | undefined): boolean[] {
  const rank = shape.length;
  const list = dims === undefined ? [] : typeof dims === "number" ? [dims] : dims;
  if (list.length === 0) return shape.map(() => true);
  const summed = shape.map(() => false);
  for (const d of list) {
    const k = normalizeDim(op, d, shape);
    if (rank === 0) continue; // dim 0 or -1 of a 0-d tensor: the sum of its one element
    if (summed[k]) throw new Error(`${op}: dim ${k} appears more than once in [${list.join(", ")}]`);
    summed[k] = true;
  }
  return summed;
}

function reduction(op: "sum" | "mean", x: Tensor, dims: number | readonly number[] | undefined, keepDim: boolean): Tensor {
  const summed = summedDims(op, x.shape, dims);
  const keptShape = x.shape.map((size, d) => (summed[d] ? 1 : size));
  const outShape = keepDim ? keptShape : x.shape.filter((_, d) => !summed[d]);
  const count = shapeSize(x.shape.filter((_, d) => summed[d]));
  const scale = op === "mean" ? 1 / count : 1; // mean over zero elements is NaN, as in PyTorch
  const out = sumRaw(x, summed, scale, outShape, op);
  return record(op, [x], out, (g) => [expandRaw(g, x.shape, summed, scale, `${op}_backward`)]);
}

/** Sum over `dims` (all dimensions when omitted), dropping them unless keepDim. Summing everything gives shape []. */
export function sum(x: Tensor, dims?: number | readonly number[], keepDim = false): Tensor {
  return reduction("sum", x, dims, keepDim);
}

/** Mean over `dims` (all dimensions when omitted), dropping them unless keepDim. */
export function mean(x: Tensor, dims?: number | readonly number[], keepDim = false): Tensor {
  return reduction("mean", x, dims, keepDim);
}

/**
 * Sums a gradient `g` of a broadcast result back to the shape of one operand:
 * over the leading dimensions the operand lacks and over those where it has
 * size 1 and `g` does not (NumPy broadcasting, right-aligned), times `scale`.
 * When there is nothing to sum and scale is 1 it returns a view of `g` (no copy).
 * Not recorded on the tape (it is a backward-rule building block).
 */
export function sumToShape(g: Tensor, shape: readonly number[], scale = 1): Tensor {
  const lead = g.shape.length - shape.length;
  if (lead < 0) {
    throw new Error(`sumToShape: gradient of shape ${shapeString(g.shape)} has fewer dimensions than ${shapeString(shape)}`);
  }
  const summed = g.shape.map((size, d) => {
    if (d < lead) return true;
    const own = shape[d - lead];
    if (own === size) return false;
    if (own === 1) return true;
    throw new Error(`sumToShape: gradient of shape ${shapeString(g.shape)} does not broadcast from ${shapeString(shape)}`);
  });
  const nothingToSum = g.shape.every((size, d) => size === 1 || !summed[d]);
  if (nothingToSum && scale === 1) return g.view(shape, "sumToShape");
  return sumRaw(g, summed, scale, shape, "sumToShape");
}
