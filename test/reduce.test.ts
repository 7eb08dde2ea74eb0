import { test, assert, assertClose, assertRejects } from "./harness.js";
import { setup } from "./setup.js";
import { gradcheck } from "./gradcheck.js";
import { uniform } from "./random.js";
import { tensor, sum, mean, F } from "../src/index.js";
import { sumToShape } from "../src/ops/reduce.js";

/** CPU reference: sums `data` (row-major `shape`) over `dims`, in float64, times `scale`; kept dims stay in order. */
function cpuSum(data: ArrayLike<number>, shape: number[], dims: number[], scale = 1): Float64Array {
  const rank = shape.length;
  const summed = shape.map((_, d) => dims.includes(d) || dims.includes(d - rank));
  const keptSizes = shape.filter((_, d) => !summed[d]);
  const out = new Float64Array(keptSizes.reduce((a, b) => a * b, 1));
  const coord = new Array(rank).fill(0);
  for (let i = 0; i < data.length; i++) {
    let rest = i;
    for (let d = rank - 1; d >= 0; d--) {
      coord[d] = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
    }
    let o = 0;
    for (let d = 0; d < rank; d++) if (!summed[d]) o = o * shape[d] + coord[d];
    out[o] += data[i];
  }
  return out.map((v) => v * scale);
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Cases chosen to reach every path: one pass, several passes, split passes (one or more levels), nothing to sum. */
const forwardCases: { shape: number[]; dims: number[] }[] = [
  { shape: [7], dims: [0] },
  { shape: [3, 5], dims: [0] },
  { shape: [3, 5], dims: [1] },
  { shape: [3, 5], dims: [-1] },
  { shape: [2, 3, 4, 5], dims: [0, 2, 3] }, // per channel: two passes
  { shape: [2, 3, 4, 5], dims: [1, 3] },
  { shape: [2, 3, 4, 5], dims: [0, 1, 2, 3] },
  { shape: [1, 3, 1, 5], dims: [0, 2] }, // only size-1 dims summed: a scaled copy
  { shape: [200, 3], dims: [0] }, // split, inner 3
  { shape: [5, 300, 7], dims: [1] }, // split, outer 5
  { shape: [4, 1000], dims: [1] }, // split, contiguous rows
  { shape: [70001], dims: [0] }, // all elements: split, and the partial sums split again
  { shape: [20000, 3], dims: [1] }, // many outputs: one pass, no split
  { shape: [64, 256, 4, 4], dims: [0, 2, 3] }, // batch-norm / bias gradient shapes
  { shape: [64, 16, 32, 32], dims: [0, 2, 3] },
];

test("reduce: sum and mean forward match the CPU over many shapes and dims", async () => {
  await setup();
  for (const [k, { shape, dims }] of forwardCases.entries()) {
    const n = size(shape);
    const data = uniform(n, 100 + k);
    const x = tensor(data, shape);
    const count = size(dims.map((d) => shape[d < 0 ? d + shape.length : d]));
    const expected = cpuSum(data, shape, dims);
    const scale = Math.max(1, Math.sqrt(count)); // float32 rounding grows with the number of terms
    const s = sum(x, dims);
    assertClose(await s.toArray(), expected, `sum ${shape} over ${dims}`, 1e-5 * scale, 1e-4);
    const m = mean(x, dims);
    assertClose(await m.toArray(), expected.map((v) => v / count), `mean ${shape} over ${dims}`, 1e-6 * scale, 1e-4);
    const keptShape = shape.filter((_, d) => !dims.includes(d) && !dims.includes(d - shape.length));
    assert(`${s.shape}` === `${keptShape}`, `sum ${shape} over ${dims}: shape [${s.shape}], expected [${keptShape}]`);
    [x, s, m].forEach((t) => t.dispose());
  }
});

test("reduce: no dims sums everything into shape [], keepDim keeps ones", async () => {
  await setup();
  const data = uniform(24, 3);
  const x = tensor(data, [2, 3, 4]);
  const all = sum(x);
  assert(all.shape.length === 0, `sum(x) has shape [${all.shape}], expected []`);
  assertClose([await all.item()], cpuSum(data, [2, 3, 4], [0, 1, 2]), "sum(x)");
  const m = mean(x, [], false); // [] means all dimensions, as in PyTorch
  assert(m.shape.length === 0, `mean(x, []) has shape [${m.shape}]`);
  assertClose([await m.item()], cpuSum(data, [2, 3, 4], [0, 1, 2], 1 / 24), "mean(x)");
  const kept = sum(x, [0, 2], true);
  assert(`${kept.shape}` === "1,3,1", `keepDim shape [${kept.shape}], expected [1, 3, 1]`);
  assertClose(await kept.toArray(), cpuSum(data, [2, 3, 4], [0, 2]), "sum keepDim");
  const scalarOfScalar = sum(tensor([2.5], []));
  assert(scalarOfScalar.shape.length === 0, "sum of a 0-d tensor is 0-d");
  assertClose([await scalarOfScalar.item()], [2.5], "sum of a 0-d tensor");
  const number = sum(x, 1);
  assert(`${number.shape}` === "2,4", `sum(x, 1) shape [${number.shape}]`);
});

test("reduce: backward() from a 0-d sum and mean fills the gradient", async () => {
  await setup();
  const x = tensor(uniform(15, 4), [3, 5], { requiresGrad: true });
  sum(x).backward();
  assertClose(await x.grad!.toArray(), new Array(15).fill(1), "d sum / dx");
  const y = tensor(uniform(15, 5), [3, 5], { requiresGrad: true });
  mean(y).backward();
  assertClose(await y.grad!.toArray(), new Array(15).fill(1 / 15), "d mean / dx");
  const z = tensor(uniform(6, 6), [2, 3], { requiresGrad: true });
  F.mean(F.tanh(z)).backward(); // through F, composed with another op
  const t = Array.from(uniform(6, 6), (v) => (1 - Math.tanh(v) ** 2) / 6);
  assertClose(await z.grad!.toArray(), t, "d mean(tanh) / dx");
});

test("reduce: sum and mean backward by finite differences", async () => {
  await setup();
  const cases: { shape: number[]; dims?: number[]; keepDim?: boolean }[] = [
    { shape: [3, 5] },
    { shape: [3, 5], dims: [0] },
    { shape: [3, 5], dims: [-1], keepDim: true },
    { shape: [2, 3, 2, 3], dims: [0, 2, 3], keepDim: true },
    { shape: [2, 3, 2, 3], dims: [1, 3] },
    { shape: [1, 3, 1, 2], dims: [0, 2] },
    { shape: [70, 2], dims: [0] }, // a split pass
  ];
  for (const [k, { shape, dims, keepDim }] of cases.entries()) {
    const input = [{ data: uniform(size(shape), 20 + k), shape }];
    await gradcheck(`sum ${shape} ${dims ?? "all"}`, (x) => sum(x, dims, keepDim), input);
    await gradcheck(`mean ${shape} ${dims ?? "all"}`, (x) => mean(x, dims, keepDim), input);
  }
});

test("reduce: sumToShape sums a broadcast gradient back to the operand's shape", async () => {
  await setup();
  const cases: { from: number[]; to: number[]; dims: number[] }[] = [
    { from: [4, 3, 2, 5], to: [3, 1, 5], dims: [0, 2] },
    { from: [4, 3, 2, 5], to: [1, 3, 1, 1], dims: [0, 2, 3] },
    { from: [6, 7], to: [7], dims: [0] },
    { from: [6, 7], to: [], dims: [0, 1] },
    { from: [2, 3], to: [2, 3], dims: [] },
  ];
  for (const [k, { from, to, dims }] of cases.entries()) {
    const data = uniform(size(from), 40 + k);
    const g = tensor(data, from);
    const got = sumToShape(g, to, -0.5);
    assert(`${got.shape}` === `${to}`, `sumToShape ${from} -> ${to}: shape [${got.shape}]`);
    assertClose(await got.toArray(), cpuSum(data, from, dims, -0.5), `sumToShape ${from} -> ${to}`);
    const same = sumToShape(g, to);
    assertClose(await same.toArray(), cpuSum(data, from, dims), `sumToShape ${from} -> ${to}, scale 1`);
  }
  await assertRejects(() => sumToShape(tensor(uniform(6, 1), [2, 3]), [2]), /\[2, 3\].*\[2\]/, "non-broadcastable target");
});

test("reduce: bad dims throw naming the op and the shape", async () => {
  await setup();
  const x = tensor(uniform(6, 1), [2, 3]);
  await assertRejects(() => sum(x, 2), /sum: dim 2 is out of range .*\[2, 3\]/, "sum dim 2");
  await assertRejects(() => mean(x, [-3]), /mean: dim -3 is out of range .*\[2, 3\]/, "mean dim -3");
  await assertRejects(() => sum(x, [1, -1]), /sum: dim 1 appears more than once/, "duplicate dim");
});

test("reduce: empty tensors sum to 0 and average to NaN", async () => {
  await setup();
  const x = tensor([], [0, 3]);
  assertClose(await sum(x, 0).toArray(), [0, 0, 0], "sum over an empty dim");
  assert(Number.isNaN(await mean(x).item()), "mean of nothing is NaN");
});
