// Shape ops: reshape and flatten (views over the same storage, no copy),
// pad and narrow (one kernel: a shifted copy with a fill value), and concat.
//
// Backward rules: a view's gradient is the gradient viewed in the input's
// shape; pad's is a crop (pad with the amounts negated) and narrow's a pad
// with zeros; concat's is each input's slice of the gradient.
import { record, empty, shapeSize, type Tensor } from "../autograd/tensor.js";
import type { OpName, TensorName } from "../autograd/op-table.js";
import { kernel, launchElementwise, normalizeDim, shapeString } from "./launch.js";
import shapeWgsl from "../../shaders/shape.wgsl";

/** A recorded view of `x` in `shape` (same elements, same order). */
function viewOp(op: OpName, x: Tensor, shape: readonly number[]): Tensor {
  const out = x.view(shape, op);
  return record(op, [x], out, (g) => [g.view(x.shape, `${op}_backward`)]);
}

/** The same elements in another shape (a view: no copy). One dimension may be -1, inferred from the rest. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const fail = (why: string) => new Error(`reshape: cannot reshape a tensor of shape ${shapeString(x.shape)} (${x.size} elements) into ${shapeString(shape)}: ${why}`);
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1) throw fail("only one dimension can be -1");
  if (shape.some((d) => d !== -1 && (!Number.isInteger(d) || d < 0))) throw fail("dimensions must be non-negative integers or -1");
  const known = shapeSize(shape.filter((d) => d !== -1));
  let resolved = [...shape];
  if (inferred === 1) {
    if (known === 0 || x.size % known !== 0) throw fail(`${x.size} is not a multiple of ${known}`);
    resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  } else if (known !== x.size) {
    throw fail(`that shape holds ${known} elements`);
  }
  return viewOp("reshape", x, resolved);
}

/**
 * Merges dimensions startDim..endDim (inclusive; negative counts from the end)
 * into one (a view), as torch.flatten: by default every dimension, into 1-D.
 * nn.Flatten starts at 1 instead, keeping the batch dimension.
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const start = normalizeDim("flatten", startDim, x.shape);
  const end = normalizeDim("flatten", endDim, x.shape);
  if (start > end) {
    throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} for a tensor of shape ${shapeString(x.shape)}`);
  }
  if (x.shape.length === 0) return viewOp("flatten", x, [1]);
  const shape = [...x.shape.slice(0, start), shapeSize(x.shape.slice(start, end + 1)), ...x.shape.slice(end + 1)];
  return viewOp("flatten", x, shape);
}

function shapeKernel(entry: string) {
  return kernel("shape.wgsl", shapeWgsl, entry);
}

/** Params of shape.wgsl (each entry point reads its own subset; all must be filled). */
const PAD_UNUSED = { cols: 1, src_row: 0, src_off: 0, dst_row: 0, dst_off: 0 };
const COPY_UNUSED = { h: 1, w: 1, out_h: 1, out_w: 1, top: 0, left: 0, value: 0 };

/** Amounts added before and after the last two axes of an [outer, h, w] view (negative: removed). */
interface Shift {
  h: number;
  w: number;
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** The shifted copy behind pad and narrow, into a new tensor of `outShape`; not recorded. */
function padRaw(x: Tensor, s: Shift, value: number, outShape: readonly number[], name: TensorName): Tensor {
  const out = empty(outShape, name);
  const params = {
    ...PAD_UNUSED,
    n: out.size,
    h: s.h,
    w: s.w,
    out_h: s.h + s.top + s.bottom,
    out_w: s.w + s.left + s.right,
    top: s.top,
    left: s.left,
    value,
  };
  launchElementwise(shapeKernel("pad"), { src: x.buffer, dst: out.buffer }, params, out.size);
  return out;
}

/** The reverse shift: what was added is removed and what was removed comes back as zeros. */
function inverse(s: Shift): Shift {
  return {
    h: s.h + s.top + s.bottom,
    w: s.w + s.left + s.right,
    top: -s.top,
    bottom: -s.bottom,
    left: -s.left,
    right: -s.right,
  };
}

/**
 * Constant padding of the last dimension ([left, right]) or the last two
 * ([left, right, top, bottom]), as F.pad. Negative amounts crop.
 * OCGAN pads 28x28 digits to 32x32 with pad(x, [2, 2, 2, 2], -1).
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  const fail = (why: string) => new Error(`pad: cannot pad a tensor of shape ${shapeString(x.shape)} by [${pads.join(", ")}]: ${why}`);
  if (pads.length !== 2 && pads.length !== 4) throw fail("give [left, right] or [left, right, top, bottom]");
  if (!pads.every(Number.isInteger)) throw fail("amounts must be integers");
  const rank = x.shape.length;
  if (rank < pads.length / 2) throw fail(`it needs at least ${pads.length / 2} dimensions`);
  const [left, right, top = 0, bottom = 0] = pads;
  const w = x.shape[rank - 1];
  const h = pads.length === 4 ? x.shape[rank - 2] : 1;
  const shift: Shift = { h, w, top, bottom, left, right };
  const outShape = [...x.shape];
  outShape[rank - 1] = w + left + right;
  if (pads.length === 4) outShape[rank - 2] = h + top + bottom;
  if (outShape.some((d) => d < 0)) throw fail(`the result ${shapeString(outShape)} would have a negative size`);
  const out = padRaw(x, shift, value, outShape, "pad");
  return record("pad", [x], out, (g) => [padRaw(g, inverse(shift), 0, x.shape, "pad_backward")]);
}

/** The `length` entries of dimension `dim` starting at `start` (negative counts from the end), as torch.narrow; a copy. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim("narrow", dim, x.shape);
  if (x.shape.length === 0) throw new Error("narrow: a 0-d tensor has no dimension to narrow");
  const size = x.shape[d];
  const from = start < 0 ? start + size : start;
  if (!Number.isInteger(from) || !Number.isInteger(length) || from < 0 || length < 0 || from + length > size) {
    throw new Error(`narrow: start ${start} and length ${length} do not fit dimension ${d} (size ${size}) of a tensor of shape ${shapeString(x.shape)}`);
  }
  // [outer, size, inner] -> [outer, length, inner]: a crop of the middle axis.
  const inner = shapeSize(x.shape.slice(d + 1));
  const shift: Shift = { h: size, w: inner, top: -from, bottom: -(size - from - length), left: 0, right: 0 };
  const outShape = [...x.shape];
  outShape[d] = length;
  const out = padRaw(x, shift, 0, outShape, "narrow");
  return record("narrow", [x], out, (g) => [padRaw(g, inverse(shift), 0, x.shape, "narrow_backward")]);
}

/** Copies `rows` rows of `cols` elements between row-strided layouts (one concat input or one gradient slice). */
function copyBlock(src: Tensor, dst: Tensor, rows: number, cols: number, from: { row: number; off: number }, to: { row: number; off: number }): void {
  const params = { ...COPY_UNUSED, n: rows * cols, cols, src_row: from.row, src_off: from.off, dst_row: to.row, dst_off: to.off };
  launchElementwise(shapeKernel("copy_block"), { src: src.buffer, dst: dst.buffer }, params, rows * cols);
}

/** Joins tensors along `dim` (all other dimensions must match), as torch.cat. */
export function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error("concat: needs at least one tensor");
  const first = tensors[0].shape;
  if (first.length === 0) throw new Error("concat: 0-d tensors cannot be concatenated; reshape them to [1] first");
  const d = normalizeDim("concat", dim, first);
  tensors.forEach((t, i) => {
    const matches = t.shape.length === first.length && t.shape.every((size, k) => k === d || size === first[k]);
    if (!matches) {
      throw new Error(
        `concat: tensor ${i} has shape ${shapeString(t.shape)}, which does not match ${shapeString(first)} ` +
          `(tensor 0) outside dimension ${d}`,
      );
    }
  });
  // Each tensor is [outer, cols_i] with cols_i = its size along d times the trailing sizes; the output is [outer, total].
  const outer = shapeSize(first.slice(0, d));
  const trailing = shapeSize(first.slice(d + 1));
  const cols = tensors.map((t) => t.shape[d] * trailing);
  const offsets = cols.map((_, i) => cols.slice(0, i).reduce((a, b) => a + b, 0));
  const total = cols.reduce((a, b) => a + b, 0);
  const outShape = [...first];
  outShape[d] = tensors.reduce((n, t) => n + t.shape[d], 0);
  const out = empty(outShape, "concat");
  tensors.forEach((t, i) => copyBlock(t, out, outer, cols[i], { row: cols[i], off: 0 }, { row: total, off: offsets[i] }));
  return record("concat", tensors, out, (g) =>
    tensors.map((t, i) => {
      if (!t.requiresGrad) return null;
      const slice = empty(t.shape, "concat_backward");
      copyBlock(g, slice, outer, cols[i], { row: total, off: offsets[i] }, { row: cols[i], off: 0 });
      return slice;
    }),
  );
}
