import { test, assert, assertClose, assertRejects } from "./harness.js";
import { setup } from "./setup.js";
import { gradcheck } from "./gradcheck.js";
import { uniform } from "./random.js";
import { tensor, add, sub, mul, div, neg, square, sum, F, type Tensor } from "../src/index.js";

type Op = "add" | "sub" | "mul" | "div";
const cpuOp: Record<Op, (u: number, v: number) => number> = {
  add: (u, v) => u + v,
  sub: (u, v) => u - v,
  mul: (u, v) => u * v,
  div: (u, v) => u / v,
};
const gpuOp = { add, sub, mul, div };

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** CPU reference for NumPy broadcasting: the output shape and values. */
function cpuBroadcast(op: Op, a: ArrayLike<number>, aShape: number[], b: ArrayLike<number>, bShape: number[]) {
  const rank = Math.max(aShape.length, bShape.length);
  const pa = [...new Array(rank - aShape.length).fill(1), ...aShape];
  const pb = [...new Array(rank - bShape.length).fill(1), ...bShape];
  const shape = pa.map((d, j) => Math.max(d, pb[j]));
  const values = new Float32Array(size(shape));
  const coord = new Array(rank).fill(0);
  for (let i = 0; i < values.length; i++) {
    let rest = i;
    for (let j = rank - 1; j >= 0; j--) {
      coord[j] = rest % shape[j];
      rest = Math.floor(rest / shape[j]);
    }
    let ia = 0;
    let ib = 0;
    for (let j = 0; j < rank; j++) {
      ia = ia * pa[j] + (pa[j] === 1 ? 0 : coord[j]);
      ib = ib * pb[j] + (pb[j] === 1 ? 0 : coord[j]);
    }
    values[i] = cpuOp[op](a[ia], b[ib]);
  }
  return { shape, values };
}

/** Values in ±[0.5, 2]: safe divisors for forward tests and finite differences. */
function divisors(n: number, seed: number): Float32Array {
  return uniform(n, seed, 0.5, 2).map((v, i) => (i % 2 ? -v : v));
}

const pairs: [number[], number[]][] = [
  [[2, 3], [2, 3]],
  [[2, 4], [2, 4]], // same shape, a multiple of 4: the vec4 kernel
  [[2, 3, 4, 5], [1, 3, 1, 1]], // NCHW with a per-channel tensor
  [[2, 3, 4, 5], [3, 1, 1]],
  [[4, 3], [3]], // [N, C] with [C]
  [[3, 1], [1, 4]], // both operands stretched
  [[2, 1, 4], [3, 1]],
  [[1, 5], [2, 1, 1]], // the second operand has the higher rank
  [[5], []], // a 0-d tensor
  [[], []],
  [[2, 1, 3, 1, 2], [2, 1, 2, 1]], // rank 5, alternating broadcasts
];

test("arithmetic: add, sub, mul, div forward match the CPU, with broadcasting", async () => {
  await setup();
  for (const [k, [aShape, bShape]] of pairs.entries()) {
    const aData = uniform(size(aShape), 200 + k, -2, 2);
    const bData = divisors(size(bShape), 300 + k);
    for (const op of ["add", "sub", "mul", "div"] as Op[]) {
      const expected = cpuBroadcast(op, aData, aShape, bData, bShape);
      const out = gpuOp[op](tensor(aData, aShape), tensor(bData, bShape));
      assert(`${out.shape}` === `${expected.shape}`, `${op} [${aShape}] [${bShape}]: shape [${out.shape}], expected [${expected.shape}]`);
      assertClose(await out.toArray(), expected.values, `${op} [${aShape}] with [${bShape}]`, 1e-6, 1e-6);
    }
  }
});

test("arithmetic: a large per-channel broadcast [8,16,32,32] + [16,1,1]", async () => {
  await setup();
  const aShape = [8, 16, 32, 32];
  const aData = uniform(size(aShape), 1);
  const bData = uniform(16, 2);
  const out = add(tensor(aData, aShape), tensor(bData, [16, 1, 1]));
  assertClose(await out.toArray(), cpuBroadcast("add", aData, aShape, bData, [16, 1, 1]).values, "add", 1e-6, 1e-6);
});

test("arithmetic: number operands on either side, neg and square (7 elements: scalar kernel; 8: vec4)", async () => {
  await setup();
  for (const n of [7, 8]) await numberOperands(n);
});

async function numberOperands(n: number) {
  const data = divisors(n, 9);
  const x = tensor(data, [n]);
  const cases: [string, Tensor, (v: number) => number][] = [
    ["mul(x, 0.5)", mul(x, 0.5), (v) => v * 0.5],
    ["mul(3, x)", mul(3, x), (v) => 3 * v],
    ["add(x, 1)", add(x, 1), (v) => v + 1],
    ["add(1, x)", add(1, x), (v) => 1 + v],
    ["sub(x, 1)", sub(x, 1), (v) => v - 1],
    ["sub(1, x)", sub(1, x), (v) => 1 - v],
    ["div(x, 4)", div(x, 4), (v) => v / 4],
    ["div(2, x)", div(2, x), (v) => 2 / v],
    ["neg(x)", neg(x), (v) => -v],
    ["square(x)", square(x), (v) => v * v],
    ["F.mul(x, -2)", F.mul(x, -2), (v) => -2 * v],
  ];
  for (const [name, out, f] of cases) {
    assert(`${out.shape}` === `${n}`, `${name}: shape [${out.shape}]`);
    assertClose(await out.toArray(), Array.from(data, f), `${name}, ${n} elements`, 1e-6, 1e-6);
  }
}

test("arithmetic: backward by finite differences, both operands, broadcasting included", async () => {
  await setup();
  for (const [k, [aShape, bShape]] of pairs.entries()) {
    if (k === pairs.length - 1) continue; // rank 5 is covered by the forward test; keep this one quick
    for (const op of ["add", "sub", "mul", "div"] as Op[]) {
      await gradcheck(`${op} [${aShape}] [${bShape}]`, gpuOp[op], [
        { data: uniform(size(aShape), 400 + k, -2, 2), shape: aShape },
        { data: divisors(size(bShape), 500 + k), shape: bShape },
      ]);
    }
  }
});

test("arithmetic: backward of number operands, neg, square, and a tensor used twice", async () => {
  await setup();
  const input = [{ data: divisors(6, 11), shape: [2, 3] }];
  const fns: [string, (x: Tensor) => Tensor][] = [
    ["mul(x, 0.5)", (x) => mul(x, 0.5)],
    ["mul(3, x)", (x) => mul(3, x)],
    ["add(x, 1)", (x) => add(x, 1)],
    ["add(1, x)", (x) => add(1, x)],
    ["sub(x, 1)", (x) => sub(x, 1)],
    ["sub(1, x)", (x) => sub(1, x)],
    ["div(x, 4)", (x) => div(x, 4)],
    ["div(2, x)", (x) => div(2, x)],
    ["neg", neg],
    ["square", square],
    ["mul(x, x)", (x) => mul(x, x)],
    ["x * x - x", (x) => sub(mul(x, x), x)],
  ];
  for (const [name, fn] of fns) await gradcheck(name, fn, input);
});

test("arithmetic: only the operand that requires grad receives one", async () => {
  await setup();
  const w = tensor(uniform(3, 1), [3, 1, 1], { requiresGrad: true });
  const x = tensor(uniform(24, 2), [2, 3, 2, 2]);
  sum(mul(x, w)).backward();
  const expected = [0, 1, 2].map((c) => {
    let s = 0;
    for (let n = 0; n < 2; n++) for (let i = 0; i < 4; i++) s += uniform(24, 2)[n * 12 + c * 4 + i];
    return s;
  });
  assertClose(await w.grad!.toArray(), expected, "d sum(x * w) / dw");
  assert(x.grad === null, "x, which does not require grad, got a gradient");
});

test("arithmetic: shapes that do not broadcast throw naming the op and both shapes", async () => {
  await setup();
  const a = tensor(uniform(6, 1), [2, 3]);
  const b = tensor(uniform(4, 2), [4]);
  await assertRejects(() => add(a, b), /^add: shapes \[2, 3\] and \[4\] cannot be broadcast/, "add");
  await assertRejects(() => mul(b, a), /^mul: shapes \[4\] and \[2, 3\] cannot be broadcast/, "mul");
  await assertRejects(() => sub(tensor(uniform(6, 3), [3, 2]), a), /^sub: shapes \[3, 2\] and \[2, 3\]/, "sub");
  await assertRejects(() => div(2, 3), /div: at least one operand must be a tensor/, "two numbers");
});
