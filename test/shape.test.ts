import { test, assert, assertClose, assertRejects } from "./harness.js";
import { setup } from "./setup.js";
import { gradcheck } from "./gradcheck.js";
import { uniform } from "./random.js";
import { tensor, reshape, flatten, pad, narrow, concat, F, nn, type Tensor } from "../src/index.js";

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const same = (a: readonly number[], b: readonly number[]) => `${a}` === `${b}` && a.length === b.length;

/** CPU reference for pad on the last two dimensions (pads [left, right, top, bottom]; negative crops). */
function cpuPad(data: ArrayLike<number>, shape: number[], pads: number[], value: number) {
  const [left, right, top = 0, bottom = 0] = pads;
  const rank = shape.length;
  const w = shape[rank - 1];
  const h = pads.length === 4 ? shape[rank - 2] : 1;
  const outer = size(shape) / (h * w);
  const oh = h + top + bottom;
  const ow = w + left + right;
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const iy = y - top;
        const ix = x - left;
        out.push(iy >= 0 && iy < h && ix >= 0 && ix < w ? data[(o * h + iy) * w + ix] : value);
      }
    }
  }
  return out;
}

/** CPU reference: the elements of `shape` whose coordinate along `dim` is in [start, start + length). */
function cpuNarrow(data: ArrayLike<number>, shape: number[], dim: number, start: number, length: number) {
  const inner = size(shape.slice(dim + 1));
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % shape[dim];
    if (c >= start && c < start + length) out.push(data[i]);
  }
  return out;
}

/** CPU reference for concatenation along `dim`. */
function cpuConcat(parts: { data: ArrayLike<number>; shape: number[] }[], dim: number) {
  const outer = size(parts[0].shape.slice(0, dim));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const { data, shape } of parts) {
      const cols = size(shape.slice(dim));
      for (let c = 0; c < cols; c++) out.push(data[o * cols + c]);
    }
  }
  return out;
}

test("shape: reshape and flatten are views with the right shapes", async () => {
  await setup();
  const data = uniform(120, 1);
  const x = tensor(data, [2, 3, 4, 5]);
  const cases: [string, Tensor, number[]][] = [
    ["reshape [6, -1]", reshape(x, [6, -1]), [6, 20]],
    ["reshape [-1]", reshape(x, [-1]), [120]],
    ["reshape [2, 3, 20, 1]", reshape(x, [2, 3, 20, 1]), [2, 3, 20, 1]],
    ["flatten(x)", flatten(x), [120]], // torch.flatten's default: every dimension
    ["flatten(x, 1)", flatten(x, 1), [2, 60]],
    ["flatten(x, 1, 2)", flatten(x, 1, 2), [2, 12, 5]],
    ["flatten(x, -2)", flatten(x, -2), [2, 3, 20]],
    ["flatten(x, 0, -2)", flatten(x, 0, -2), [24, 5]],
    ["flatten(x, -3, -2)", flatten(x, -3, -2), [2, 12, 5]],
    ["F.flatten(x)", F.flatten(x), [120]],
    ["nn.Flatten()", new nn.Flatten().forward(x), [2, 60]], // torch's nn.Flatten keeps the batch dimension
    ["nn.Flatten(0, 1)", new nn.Flatten(0, 1).forward(x), [6, 4, 5]],
    ["F.reshape(x, [4, 30])", F.reshape(x, [4, 30]), [4, 30]],
  ];
  for (const [name, y, shape] of cases) {
    assert(same(y.shape, shape), `${name}: shape [${y.shape}], expected [${shape}]`);
    assert(y.buffer === x.buffer, `${name}: not a view of x's storage`);
    assertClose(await y.toArray(), data, name, 0, 0);
  }
  const scalar = tensor([3], []);
  assert(same(flatten(scalar).shape, [1]), "flatten of a 0-d tensor is [1]");
  assert(same(reshape(scalar, [1, 1]).shape, [1, 1]), "reshape of a 0-d tensor");
  assert(same(reshape(tensor([3], [1]), []).shape, []), "reshape to 0-d");
  assert(same(reshape(tensor([], [0, 4]), [-1, 2]).shape, [0, 2]), "reshape an empty tensor with -1");
});

test("shape: reshape and flatten backward by finite differences", async () => {
  await setup();
  const input = [{ data: uniform(24, 2), shape: [2, 3, 4] }];
  await gradcheck("reshape", (x) => reshape(x, [4, -1]), input);
  await gradcheck("flatten", (x) => flatten(x), input);
  // Through another op, so the gradient really travels back through the view.
  await gradcheck("tanh(flatten)", (x) => F.tanh(flatten(x, 0)), input);
});

test("shape: pad forward matches the CPU (OCGAN's 28 -> 32 with -1, odd, cropping, last dim only)", async () => {
  await setup();
  const cases: { shape: number[]; pads: number[]; value: number }[] = [
    { shape: [2, 1, 28, 28], pads: [2, 2, 2, 2], value: -1 },
    { shape: [1, 3, 5, 4], pads: [1, 0, 3, 2], value: 0.5 },
    { shape: [2, 2, 5, 6], pads: [-1, 2, 0, -2], value: 7 }, // negative amounts crop
    { shape: [3, 5], pads: [2, 1], value: 0 },
    { shape: [4, 7], pads: [0, 0, 1, 1], value: 0 },
  ];
  for (const [k, { shape, pads, value }] of cases.entries()) {
    const data = uniform(size(shape), 10 + k);
    const y = pad(tensor(data, shape), pads, value);
    const expected = cpuPad(data, shape, pads, value);
    const outShape = [...shape];
    outShape[shape.length - 1] += pads[0] + pads[1];
    if (pads.length === 4) outShape[shape.length - 2] += pads[2] + pads[3];
    assert(same(y.shape, outShape), `pad ${shape} by ${pads}: shape [${y.shape}], expected [${outShape}]`);
    assertClose(await y.toArray(), expected, `pad ${shape} by ${pads}`, 0, 0);
  }
});

test("shape: pad backward (a crop) by finite differences", async () => {
  await setup();
  await gradcheck("pad [1,2,0,1]", (x) => pad(x, [1, 2, 0, 1], -1), [{ data: uniform(30, 3), shape: [1, 2, 3, 5] }]);
  await gradcheck("pad crop [-1,1,-1,0]", (x) => pad(x, [-1, 1, -1, 0]), [{ data: uniform(24, 4), shape: [2, 3, 4] }]);
  await gradcheck("pad last dim [0,2]", (x) => pad(x, [0, 2], 3), [{ data: uniform(6, 5), shape: [2, 3] }]);
});

test("shape: narrow forward and backward", async () => {
  await setup();
  const shape = [3, 4, 5];
  const data = uniform(60, 6);
  const x = tensor(data, shape);
  for (const [dim, start, length] of [[0, 1, 2], [1, 0, 3], [2, 2, 3], [-1, -2, 1], [1, 4, 0]]) {
    const d = dim < 0 ? dim + 3 : dim;
    const from = start < 0 ? start + shape[d] : start;
    const y = narrow(x, dim, start, length);
    const expectedShape = [...shape];
    expectedShape[d] = length;
    assert(same(y.shape, expectedShape), `narrow(${dim}, ${start}, ${length}): shape [${y.shape}]`);
    assertClose(await y.toArray(), cpuNarrow(data, shape, d, from, length), `narrow(${dim}, ${start}, ${length})`, 0, 0);
  }
  await gradcheck("narrow", (t) => narrow(t, 1, 1, 2), [{ data: uniform(24, 7), shape: [2, 4, 3] }]);
  await assertRejects(() => narrow(x, 1, 3, 2), /narrow: start 3 and length 2 do not fit dimension 1 \(size 4\)/, "narrow too long");
});

test("shape: concat forward along dims 0, 1 and -1, three inputs of different sizes", async () => {
  await setup();
  const cases: { shapes: number[][]; dim: number }[] = [
    { shapes: [[2, 1, 4, 4], [3, 1, 4, 4]], dim: 0 }, // OCGAN: two batches
    { shapes: [[2, 3, 2], [2, 1, 2], [2, 2, 2]], dim: 1 },
    { shapes: [[3, 2], [3, 5]], dim: -1 },
    { shapes: [[5]], dim: 0 },
  ];
  for (const [k, { shapes, dim }] of cases.entries()) {
    const parts = shapes.map((shape, i) => ({ data: uniform(size(shape), 20 + 3 * k + i), shape }));
    const d = dim < 0 ? dim + shapes[0].length : dim;
    const y = concat(parts.map((p) => tensor(p.data, p.shape)), dim);
    const expectedShape = [...shapes[0]];
    expectedShape[d] = shapes.reduce((n, s) => n + s[d], 0);
    assert(same(y.shape, expectedShape), `concat dim ${dim}: shape [${y.shape}], expected [${expectedShape}]`);
    assertClose(await y.toArray(), cpuConcat(parts, d), `concat ${shapes.map((s) => `[${s}]`).join(" ")} dim ${dim}`, 0, 0);
  }
});

test("shape: concat backward by finite differences, including a tensor used twice", async () => {
  await setup();
  await gradcheck("concat dim 0", (a, b) => concat([a, b], 0), [
    { data: uniform(6, 8), shape: [1, 2, 3] },
    { data: uniform(12, 9), shape: [2, 2, 3] },
  ]);
  await gradcheck("concat dim 2", (a, b, c) => concat([a, b, c], 2), [
    { data: uniform(6, 10), shape: [2, 3, 1] },
    { data: uniform(12, 11), shape: [2, 3, 2] },
    { data: uniform(6, 12), shape: [2, 3, 1], check: false },
  ]);
  await gradcheck("concat [x, tanh(x)]", (x) => concat([x, F.tanh(x)], 1), [{ data: uniform(6, 13), shape: [2, 3] }]);
});

test("shape: bad shapes throw naming the op and the shapes", async () => {
  await setup();
  const x = tensor(uniform(12, 1), [3, 4]);
  await assertRejects(() => reshape(x, [5, -1]), /^reshape: .*\[3, 4\].*\[5, -1\]/, "reshape not divisible");
  await assertRejects(() => reshape(x, [2, 5]), /^reshape: .*\[3, 4\].*\[2, 5\]/, "reshape wrong count");
  await assertRejects(() => reshape(x, [-1, -1]), /^reshape: .*only one dimension can be -1/, "two -1");
  await assertRejects(() => flatten(x, 2), /^flatten: dim 2 is out of range .*\[3, 4\]/, "flatten dim");
  await assertRejects(() => pad(x, [1, 1, 1]), /^pad: .*\[3, 4\].*\[1, 1, 1\]/, "pad length 3");
  await assertRejects(() => pad(x, [-3, -2]), /^pad: .*\[3, 4\].*negative size/, "pad over-crop");
  await assertRejects(() => pad(tensor([1, 2], [2]), [1, 1, 1, 1]), /^pad: .*\[2\].*at least 2 dimensions/, "pad rank");
  await assertRejects(
    () => concat([x, tensor(uniform(10, 2), [2, 5])], 0),
    /^concat: tensor 1 has shape \[2, 5\], which does not match \[3, 4\]/,
    "concat mismatch",
  );
  await assertRejects(() => concat([x, tensor(uniform(4, 2), [4])]), /^concat: tensor 1 has shape \[4\]/, "concat rank");
  await assertRejects(() => concat([]), /^concat: needs at least one tensor/, "concat nothing");
  await assertRejects(() => concat([x], 2), /^concat: dim 2 is out of range .*\[3, 4\]/, "concat dim");
});
