import { test, assert, assertClose, assertRejects } from "./harness.js";
import { setup } from "./setup.js";
import { gradcheck } from "./gradcheck.js";
import { uniform } from "./random.js";
import { tensor, F, scope } from "../src/index.js";

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function cpuMse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

/** Mean BCE on logits in float64: max(x, 0) - x t + log(1 + exp(-|x|)). */
function cpuBce(x: ArrayLike<number>, t: (i: number) => number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.max(x[i], 0) - x[i] * t(i) + Math.log1p(Math.exp(-Math.abs(x[i])));
  return s / x.length;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

const SHAPES = [[1], [3, 5], [2, 3, 4, 5], [1000], [64, 1, 32, 32]];

test("loss: mseLoss forward matches the CPU and is 0-d", async () => {
  await setup();
  for (const [k, shape] of SHAPES.entries()) {
    const a = uniform(sizeOf(shape), k, -2, 2);
    const b = uniform(sizeOf(shape), k + 50, -2, 2);
    const loss = scope(() => F.mseLoss(tensor(a, shape), tensor(b, shape)));
    assert(loss.shape.length === 0, `mseLoss [${shape}] has shape [${loss.shape}], expected []`);
    assertClose([await loss.item()], [cpuMse(a, b)], `mseLoss [${shape}]`, 1e-6, 1e-5);
    loss.dispose();
  }
});

test("loss: mseLoss backward by finite differences for both operands", async () => {
  await setup();
  for (const [k, shape] of [[1], [3, 5], [2, 3, 2]].entries()) {
    await gradcheck(`mseLoss [${shape}]`, F.mseLoss, [
      { data: uniform(sizeOf(shape), 10 + k), shape },
      { data: uniform(sizeOf(shape), 20 + k), shape },
    ]);
  }
});

test("loss: mseLoss gradient is 2 (a - b) / n, and its negative for b", async () => {
  await setup();
  const a = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
  const b = tensor([0, 2, 5, 1], [2, 2], { requiresGrad: true });
  F.mseLoss(a, b).backward();
  assertClose(await a.grad!.toArray(), [0.5, 0, -1, 1.5], "d/da");
  assertClose(await b.grad!.toArray(), [-0.5, 0, 1, -1.5], "d/db");
});

test("loss: bceWithLogits forward matches the CPU, tensor and number targets, logits up to ±100", async () => {
  await setup();
  for (const [k, shape] of SHAPES.entries()) {
    const n = sizeOf(shape);
    const x = uniform(n, 30 + k, -6, 6);
    // Extremes where they fit.
    [50, -50, 100, -100].forEach((v, i) => { if (i < n) x[i] = v; });
    const soft = uniform(n, 40 + k, 0, 1);
    const [withTensor, withOne, withZero] = scope(() => [
      F.bceWithLogits(tensor(x, shape), tensor(soft, shape)),
      F.bceWithLogits(tensor(x, shape), 1),
      F.bceWithLogits(tensor(x, shape), 0),
    ]);
    assert(withTensor.shape.length === 0, `bceWithLogits [${shape}] has shape [${withTensor.shape}], expected []`);
    assertClose([await withTensor.item()], [cpuBce(x, (i) => soft[i])], `bce [${shape}] soft targets`, 1e-6, 1e-5);
    assertClose([await withOne.item()], [cpuBce(x, () => 1)], `bce [${shape}] target 1`, 1e-6, 1e-5);
    assertClose([await withZero.item()], [cpuBce(x, () => 0)], `bce [${shape}] target 0`, 1e-6, 1e-5);
    [withTensor, withOne, withZero].forEach((t) => t.dispose());
  }
});

test("loss: bceWithLogits is finite and exact at logits ±50 and ±100, value and gradient", async () => {
  await setup();
  const logits = [50, -50, 100, -100, 50, -50, 100, -100];
  const targets = [1, 1, 1, 1, 0, 0, 0, 0];
  const n = logits.length;
  const x = tensor(logits, [n], { requiresGrad: true });
  const loss = F.bceWithLogits(x, tensor(targets, [n]));
  const value = await loss.item();
  loss.backward();
  const grad = await x.grad!.toArray();
  assert(Number.isFinite(value) && grad.every(Number.isFinite), `finite: loss ${value}, grad [${grad}]`);
  assertClose([value], [cpuBce(logits, (i) => targets[i])], "loss at extremes", 1e-6, 1e-6);
  // (sigmoid(x) - t) / n: 0 or ±1/n up to sigmoid(-50) = 2e-22 (exp is good to a few ulp).
  assertClose(grad, logits.map((v, i) => (sigmoid(v) - targets[i]) / n), "gradient at extremes", 1e-30, 1e-5);
  // Number targets too.
  for (const target of [0, 1]) {
    const z = tensor(logits, [n], { requiresGrad: true });
    F.bceWithLogits(z, target).backward();
    const g = await z.grad!.toArray();
    assertClose(g, logits.map((v) => (sigmoid(v) - target) / n), `gradient at extremes, target ${target}`, 1e-30, 1e-5);
  }
});

test("loss: bceWithLogits backward by finite differences for logits and target", async () => {
  await setup();
  for (const [k, shape] of [[1], [3, 5], [2, 3, 2]].entries()) {
    const n = sizeOf(shape);
    await gradcheck(`bceWithLogits [${shape}]`, F.bceWithLogits, [
      { data: uniform(n, 60 + k, -4, 4), shape },
      { data: uniform(n, 70 + k, 0, 1), shape },
    ]);
    for (const target of [0, 1]) {
      await gradcheck(`bceWithLogits [${shape}] target ${target}`, (x) => F.bceWithLogits(x, target), [
        { data: uniform(n, 80 + k, -4, 4), shape },
      ]);
    }
  }
});

test("loss: shape mismatches are rejected before dispatch, naming the shapes", async () => {
  await setup();
  const a = tensor(uniform(6, 1), [2, 3]);
  const b = tensor(uniform(6, 2), [3, 2]);
  await assertRejects(() => F.mseLoss(a, b), /mseLoss.*\[2, 3\].*\[3, 2\]/, "mse");
  await assertRejects(() => F.bceWithLogits(a, b), /bceWithLogits.*\[2, 3\].*\[3, 2\]/, "bce");
  await assertRejects(() => F.bceWithLogits(a, tensor([1], [1])), /bceWithLogits.*\[2, 3\].*\[1\]/, "bce with a broadcastable target");
});

test("loss: OCGAN-sized mseLoss and bceWithLogits, forward and backward", async () => {
  await setup();
  const shape = [64, 1, 32, 32];
  const a = tensor(uniform(sizeOf(shape), 90), shape, { requiresGrad: true });
  const b = tensor(uniform(sizeOf(shape), 91), shape);
  const ITERATIONS = 5;
  for (let i = 0; i < ITERATIONS; i++) {
    scope(() => {
      F.mseLoss(a, b).backward();
      F.bceWithLogits(a, 1).backward();
    });
  }
  const grad = await a.grad!.toArray();
  const av = await a.toArray();
  const bv = await b.toArray();
  const n = av.length;
  const expected = av.map((v, i) => ITERATIONS * (2 * (v - bv[i]) / n + (sigmoid(v) - 1) / n));
  assertClose(grad, expected, "accumulated gradient", 1e-7, 1e-4);
  [a, b].forEach((t) => { t.grad?.dispose(); t.dispose(); });
});
