import { test, assertClose, assert } from "./harness.js";
import { setup } from "./setup.js";
import { gradcheck } from "./gradcheck.js";
import { uniform } from "./random.js";
import { tensor, ones, F } from "../src/index.js";

const cpu = {
  tanh: (v: number) => Math.tanh(v),
  sigmoid: (v: number) => 1 / (1 + Math.exp(-v)),
  relu: (v: number) => Math.max(0, v),
  leakyRelu: (v: number) => (v > 0 ? v : 0.2 * v),
};
const gpu = {
  tanh: F.tanh,
  sigmoid: F.sigmoid,
  relu: F.relu,
  leakyRelu: (x: Parameters<typeof F.relu>[0]) => F.leakyRelu(x, 0.2),
};

/** Values away from 0 so relu's kink does not fall inside a finite-difference step. */
function awayFromZero(n: number, seed: number): Float32Array {
  return uniform(n, seed, -3, 3).map((v) => (Math.abs(v) < 0.1 ? v + 0.2 * Math.sign(v || 1) : v));
}

for (const name of Object.keys(cpu) as (keyof typeof cpu)[]) {
  test(`activation: ${name} forward matches the CPU, including at ±50 and ±100, scalar and vec4 kernels`, async () => {
    await setup();
    // 42 elements take the scalar kernel, 44 the vec4 one.
    for (const extra of [[0], [0, 1, -1]]) {
      const data = Float32Array.from([...uniform(37, 1, -4, 4), 50, -50, 100, -100, ...extra]);
      const y = await gpu[name](tensor(data, [data.length])).toArray();
      assertClose(y, Array.from(data, cpu[name]), `${name} forward, ${data.length} elements`, 1e-6, 1e-5);
      assert(y.every(Number.isFinite), `${name} is finite at extremes`);
    }
  });

  test(`activation: ${name} backward by finite differences, shapes [1], [3,5] (scalar kernel), [2,3,4,5] (vec4)`, async () => {
    await setup();
    for (const [k, shape] of [[1], [3, 5], [2, 3, 4, 5]].entries()) {
      const n = shape.reduce((a, b) => a * b, 1);
      await gradcheck(`${name} ${shape}`, gpu[name], [{ data: awayFromZero(n, 10 + k), shape }]);
    }
  });
}

test("activation: tanh and sigmoid gradients at ±50 are 0, not NaN", async () => {
  await setup();
  const x = tensor([50, -50], [2], { requiresGrad: true });
  F.tanh(x).backward(ones([2]));
  assertClose(await x.grad!.toArray(), [0, 0], "tanh'");
  const z = tensor([50, -50], [2], { requiresGrad: true });
  F.sigmoid(z).backward(ones([2]));
  assertClose(await z.grad!.toArray(), [0, 0], "sigmoid'", 1e-12);
});

test("activation: clamp forward and its gradient mask", async () => {
  await setup();
  const data = Float32Array.from([-2, -0.5, 0, 0.7, 3]);
  const y = await F.clamp(tensor(data, [5]), -1, 1).toArray();
  assertClose(y, [-1, -0.5, 0, 0.7, 1], "clamp forward");
  await gradcheck("clamp", (x) => F.clamp(x, -1, 1), [{ data: Float32Array.from([-2, -0.5, 0.3, 0.7, 3]), shape: [5] }]);
  // Eight elements: the vec4 kernels.
  const eight = Float32Array.from([-2, -0.5, 0, 0.7, 3, 1, -1, 0.2]);
  assertClose(await F.clamp(tensor(eight, [8]), -1, 1).toArray(), [-1, -0.5, 0, 0.7, 1, 1, -1, 0.2], "clamp forward (vec4)");
  await gradcheck("clamp (vec4)", (x) => F.clamp(x, -1, 1), [{ data: Float32Array.from([-2, -0.5, 0.3, 0.7, 3, 1.5, -0.2, 0.6]), shape: [8] }]);
});
