import { test, assertClose, assertRejects } from "./harness.js";
import { setup } from "./setup.js";
import { gradcheck } from "./gradcheck.js";
import { uniform } from "./random.js";
import { tensor, F, nn, scope, noGrad } from "../src/index.js";

interface CpuBatchNorm {
  y: Float64Array;
  runningMean: Float64Array;
  runningVar: Float64Array;
}

/** torch.nn.functional.batch_norm in float64, for x [N, C, ...]. */
function cpuBatchNorm(
  x: Float32Array, shape: number[], rm: Float32Array, rv: Float32Array,
  weight: Float32Array | null, bias: Float32Array | null, training: boolean, momentum = 0.1, eps = 1e-5,
): CpuBatchNorm {
  const [batch, channels] = shape;
  const spatial = shape.slice(2).reduce((a, b) => a * b, 1);
  const count = batch * spatial;
  const at = (n: number, c: number, s: number) => (n * channels + c) * spatial + s;
  const y = new Float64Array(x.length);
  const runningMean = Float64Array.from(rm);
  const runningVar = Float64Array.from(rv);
  for (let c = 0; c < channels; c++) {
    let mean = rm[c];
    let variance = rv[c];
    if (training) {
      let sum = 0;
      for (let n = 0; n < batch; n++) for (let s = 0; s < spatial; s++) sum += x[at(n, c, s)];
      mean = sum / count;
      let squares = 0;
      for (let n = 0; n < batch; n++) for (let s = 0; s < spatial; s++) squares += (x[at(n, c, s)] - mean) ** 2;
      variance = squares / count;
      runningMean[c] = (1 - momentum) * rm[c] + momentum * mean;
      runningVar[c] = (1 - momentum) * rv[c] + momentum * variance * count / (count - 1);
    }
    const invstd = 1 / Math.sqrt(variance + eps);
    for (let n = 0; n < batch; n++) {
      for (let s = 0; s < spatial; s++) {
        const i = at(n, c, s);
        y[i] = (x[i] - mean) * invstd * (weight ? weight[c] : 1) + (bias ? bias[c] : 0);
      }
    }
  }
  return { y, runningMean, runningVar };
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs batchNorm on the GPU and returns y and the running statistics afterwards. */
async function gpuBatchNorm(
  x: Float32Array, shape: number[], rm: Float32Array, rv: Float32Array,
  weight: Float32Array | null, bias: Float32Array | null, training: boolean, momentum?: number,
): Promise<{ y: Float32Array; runningMean: Float32Array; runningVar: Float32Array }> {
  const c = shape[1];
  const runningMean = tensor(rm, [c]);
  const runningVar = tensor(rv, [c]);
  const y = scope(() => F.batchNorm(tensor(x, shape), runningMean, runningVar,
    weight && tensor(weight, [c]), bias && tensor(bias, [c]), training, momentum));
  const out = { y: await y.toArray(), runningMean: await runningMean.toArray(), runningVar: await runningVar.toArray() };
  [y, runningMean, runningVar].forEach((t) => t.dispose());
  return out;
}

// Shapes: [N, C]; odd spatial sizes; more than 256 elements per channel, with
// spatial sizes that do not divide 256 (99) and that exceed it (289).
// Positions per (sample, channel) not a multiple of 4 take the scalar kernels; [3, 2, 4, 5], [6, 3, 2, 2] and [2, 3, 8, 8] the vec4 ones.
const SHAPES = [[5, 3], [300, 2], [3, 4, 5, 3], [2, 3, 7], [4, 3, 9, 11], [2, 2, 17, 17], [1, 2, 3, 3], [3, 2, 4, 5], [6, 3, 2, 2], [2, 3, 8, 8]];

function channelData(shape: number[], seed: number) {
  const c = shape[1];
  return {
    x: uniform(sizeOf(shape), seed, -2, 3),
    rm: uniform(c, seed + 1, -0.5, 0.5),
    rv: uniform(c, seed + 2, 0.5, 2),
    weight: uniform(c, seed + 3, 0.5, 1.5),
    bias: uniform(c, seed + 4, -0.5, 0.5),
  };
}

test("batchnorm: training forward and the running-statistics update match the CPU", async () => {
  await setup();
  for (const [k, shape] of SHAPES.entries()) {
    const d = channelData(shape, 10 * k);
    for (const momentum of [0.1, 0.3]) {
      const got = await gpuBatchNorm(d.x, shape, d.rm, d.rv, d.weight, d.bias, true, momentum === 0.1 ? undefined : momentum);
      const want = cpuBatchNorm(d.x, shape, d.rm, d.rv, d.weight, d.bias, true, momentum);
      assertClose(got.y, want.y, `y [${shape}] momentum ${momentum}`, 1e-5, 1e-4);
      assertClose(got.runningMean, want.runningMean, `running mean [${shape}] momentum ${momentum}`, 1e-6, 1e-5);
      assertClose(got.runningVar, want.runningVar, `running var [${shape}] momentum ${momentum}`, 1e-6, 1e-5);
    }
  }
});

test("batchnorm: evaluation forward uses the running statistics and leaves them unchanged", async () => {
  await setup();
  for (const [k, shape] of SHAPES.entries()) {
    const d = channelData(shape, 100 + k);
    const got = await gpuBatchNorm(d.x, shape, d.rm, d.rv, d.weight, d.bias, false);
    const want = cpuBatchNorm(d.x, shape, d.rm, d.rv, d.weight, d.bias, false);
    assertClose(got.y, want.y, `eval y [${shape}]`, 1e-5, 1e-4);
    assertClose(got.runningMean, d.rm, `running mean unchanged [${shape}]`, 0, 0);
    assertClose(got.runningVar, d.rv, `running var unchanged [${shape}]`, 0, 0);
  }
});

test("batchnorm: weight and bias are optional, running statistics optional in training", async () => {
  await setup();
  const shape = [4, 3, 2, 5];
  const d = channelData(shape, 7);
  for (const [weight, bias] of [[null, null], [d.weight, null], [null, d.bias]] as const) {
    for (const training of [true, false]) {
      const got = await gpuBatchNorm(d.x, shape, d.rm, d.rv, weight, bias, training);
      const want = cpuBatchNorm(d.x, shape, d.rm, d.rv, weight, bias, training);
      assertClose(got.y, want.y, `weight ${!!weight} bias ${!!bias} training ${training}`, 1e-5, 1e-4);
    }
  }
  const y = await scope(() => F.batchNorm(tensor(d.x, shape), null, null, null, null, true)).toArray();
  assertClose(y, cpuBatchNorm(d.x, shape, d.rm, d.rv, null, null, true).y, "training without running statistics", 1e-5, 1e-4);
});

test("batchnorm: a large spread around a large mean is normalised exactly (one-pass Welford variance)", async () => {
  await setup();
  for (const shape of [[64, 2, 3, 3], [64, 2, 4, 4]]) { // scalar and vec4 kernels
    const x = uniform(sizeOf(shape), 5, 1000, 1001); // variance ~ 1/12 around 1000.5
    const rm = new Float32Array(2);
    const rv = new Float32Array([1, 1]);
    const got = await gpuBatchNorm(x, shape, rm, rv, null, null, true);
    const want = cpuBatchNorm(x, shape, rm, rv, null, null, true);
    assertClose(got.y, want.y, `y [${shape}]`, 1e-3, 1e-3);
    assertClose(got.runningVar, want.runningVar, `running var [${shape}]`, 1e-5, 1e-4);
  }
});

test("batchnorm: training-mode backward by finite differences for x, weight and bias", async () => {
  await setup();
  // [2, 2, 2, 4]: positions a multiple of 4, where the kernels take vec4s.
  for (const [k, shape] of [[4, 3], [2, 3, 2, 3], [3, 2, 5], [2, 1, 3, 3], [2, 2, 2, 4]].entries()) {
    const c = shape[1];
    await gradcheck(`batchNorm training [${shape}]`, (x, w, b) => F.batchNorm(x, null, null, w, b, true), [
      { data: uniform(sizeOf(shape), 50 + k, -2, 2), shape },
      { data: uniform(c, 60 + k, 0.5, 1.5), shape: [c] },
      { data: uniform(c, 70 + k), shape: [c] },
    ]);
  }
  // No affine transform; and updating running statistics on the side changes no gradient.
  await gradcheck("batchNorm training, no weight or bias", (x) => F.batchNorm(x, null, null, null, null, true), [
    { data: uniform(18, 80, -2, 2), shape: [3, 2, 3] },
  ]);
  await gradcheck("batchNorm training, with running statistics", (x, w, b) => {
    const rm = tensor([0, 0], [2]);
    const rv = tensor([1, 1], [2]);
    return F.batchNorm(x, rm, rv, w, b, true, 0.5);
  }, [
    { data: uniform(12, 81, -2, 2), shape: [3, 2, 2] },
    { data: uniform(2, 82, 0.5, 1.5), shape: [2] },
    { data: uniform(2, 83), shape: [2] },
  ]);
});

test("batchnorm: evaluation-mode backward by finite differences for x, weight and bias", async () => {
  await setup();
  for (const [k, shape] of [[4, 3], [2, 3, 2, 3], [2, 2, 2, 4]].entries()) {
    const c = shape[1];
    const rm = uniform(c, 90 + k, -0.5, 0.5);
    const rv = uniform(c, 91 + k, 0.5, 2);
    await gradcheck(`batchNorm eval [${shape}]`, (x, w, b) => F.batchNorm(x, tensor(rm, [c]), tensor(rv, [c]), w, b, false), [
      { data: uniform(sizeOf(shape), 92 + k, -2, 2), shape },
      { data: uniform(c, 93 + k, 0.5, 1.5), shape: [c] },
      { data: uniform(c, 94 + k), shape: [c] },
    ]);
  }
  await gradcheck("batchNorm eval, input only", (x) => F.batchNorm(x, tensor([0.2, -0.1], [2]), tensor([1.5, 0.7], [2]), null, null, false), [
    { data: uniform(8, 95), shape: [2, 2, 2] },
  ]);
});

test("batchnorm: the backward uses the statistics of its forward, not running statistics updated since", async () => {
  await setup();
  const shape = [3, 2];
  const data = uniform(6, 3);
  const rm = tensor([0.1, 0.2], [2]);
  const rv = tensor([1.5, 0.5], [2]);
  const x = tensor(data, shape, { requiresGrad: true });
  const y = F.batchNorm(x, rm, rv, null, null, false);
  noGrad(() => F.batchNorm(tensor(uniform(6, 4, 5, 9), shape), rm, rv, null, null, true, 0.9)); // moves the running stats
  y.backward(tensor([1, 1, 1, 1, 1, 1], shape));
  const expected = [0, 1, 2, 3, 4, 5].map((i) => 1 / Math.sqrt([1.5, 0.5][i % 2] + 1e-5));
  assertClose(await x.grad!.toArray(), expected, "dx = invstd of the forward's running variance", 1e-6, 1e-5);
});

test("batchnorm: OCGAN-sized inputs [64,256,4,4] and [64,16,32,32], forward and backward", async () => {
  await setup();
  for (const shape of [[64, 256, 4, 4], [64, 16, 32, 32]]) {
    const c = shape[1];
    const d = channelData(shape, 200);
    const got = await gpuBatchNorm(d.x, shape, d.rm, d.rv, d.weight, d.bias, true);
    const want = cpuBatchNorm(d.x, shape, d.rm, d.rv, d.weight, d.bias, true);
    assertClose(got.y, want.y, `y [${shape}]`, 1e-4, 1e-4);
    assertClose(got.runningMean, want.runningMean, `running mean [${shape}]`, 1e-6, 1e-4);
    assertClose(got.runningVar, want.runningVar, `running var [${shape}]`, 1e-6, 1e-4);
    // Backward with dy = 1: Σ dy = count per channel, and dx = 0 (a constant shift does not change the output).
    const w = tensor(d.weight, [c], { requiresGrad: true });
    const b = tensor(d.bias, [c], { requiresGrad: true });
    const x = tensor(d.x, shape, { requiresGrad: true });
    F.batchNorm(x, null, null, w, b, true).backward(tensor(new Float32Array(x.size).fill(1), shape));
    const db = await b.grad!.toArray();
    assertClose(db, new Float32Array(c).fill(sizeOf(shape) / c), `db [${shape}]`, 1e-3, 1e-6);
    assertClose(await x.grad!.toArray(), new Float32Array(x.size), `dx [${shape}]`, 1e-5, 0);
    // Σ xhat = 0 up to float32 rounding of a sum of count terms of size about 1.
    const count = sizeOf(shape) / c;
    assertClose(await w.grad!.toArray(), new Float32Array(c), `dweight [${shape}]`, 1e-6 * count, 0);
    [w, b, x].forEach((t) => { t.grad?.dispose(); t.dispose(); });
  }
});

test("batchnorm: a fused ReLU or leaky ReLU matches the CPU forward (train and eval) and, in evaluation, its finite differences", async () => {
  await setup();
  const leaky = (v: ArrayLike<number>, slope: number) => Float64Array.from(v, (z) => (z > 0 ? z : slope * z));
  for (const [k, shape] of [[5, 3], [3, 4, 3, 3], [2, 3, 2, 4]].entries()) {
    const d = channelData(shape, 300 + k);
    for (const slope of [0, 0.2]) {
      for (const training of [true, false]) {
        const y = await scope(() => F.batchNorm(tensor(d.x, shape), tensor(d.rm, [shape[1]]), tensor(d.rv, [shape[1]]),
          tensor(d.weight, [shape[1]]), tensor(d.bias, [shape[1]]), training, 0.1, 1e-5, slope)).toArray();
        const want = leaky(cpuBatchNorm(d.x, shape, d.rm, d.rv, d.weight, d.bias, training).y, slope);
        assertClose(y, want, `fused slope ${slope} training ${training} [${shape}]`, 1e-5, 1e-4);
      }
      // Finite differences in evaluation mode, with every z = (x - mean) * invstd * w + b at least 0.2 away
      // from the kink at 0, where the derivative jumps. (In training a step of one x moves every z through
      // the batch statistics, so some z may cross the kink: there the Sequential test below compares the
      // fused gradients with those of the two separate ops, each checked by finite differences on its own.)
      const c = shape[1];
      const spatial = sizeOf(shape) / (shape[0] * c);
      const z = uniform(sizeOf(shape), 310 + k, 0.2, 2).map((v, i) => (i % 2 ? -v : v));
      const x = z.map((v, i) => {
        const ch = Math.floor(i / spatial) % c;
        return d.rm[ch] + (v - d.bias[ch]) * Math.sqrt(d.rv[ch] + 1e-5) / d.weight[ch];
      });
      await gradcheck(`batchNorm + leaky ReLU ${slope}, evaluation [${shape}]`, (xt) => {
        return F.batchNorm(xt, tensor(d.rm, [c]), tensor(d.rv, [c]), tensor(d.weight, [c]), tensor(d.bias, [c]), false, 0.1, 1e-5, slope);
      }, [{ data: x, shape }]);
    }
  }
});

test("batchnorm: nn.Sequential fuses a BatchNorm and the ReLU or LeakyReLU after it, with the same values and gradients as the two ops", async () => {
  await setup();
  const shape = [4, 3, 2, 2];
  for (const act of [() => new nn.ReLU(), () => new nn.LeakyReLU(0.2)]) {
    const bn = new nn.BatchNorm2d(3);
    const net = new nn.Sequential(bn, act());
    const x = uniform(sizeOf(shape), 400, -2, 2);
    const run = (fused: boolean) => scope(() => {
      const input = tensor(x, shape, { requiresGrad: true });
      const out = fused ? net.forward(input) : net.layers[1].forward(F.batchNorm(input, null, null, bn.weight, bn.bias, true));
      F.sum(F.mul(out, tensor(uniform(sizeOf(shape), 401), shape))).backward();
      const grads = [input.grad!, bn.weight.grad!, bn.bias.grad!];
      const copies = grads.map((g) => g.detach()); // views that outlive the gradients, which are freed here
      grads.forEach((g) => g.dispose());
      bn.weight.grad = null;
      bn.bias.grad = null;
      return [out.detach(), ...copies];
    });
    const [fused, plain] = [run(true), run(false)];
    for (let i = 0; i < fused.length; i++) {
      assertClose(await fused[i].toArray(), await plain[i].toArray(), `${net.layers[1].constructor.name} tensor ${i}`, 1e-6, 1e-5);
    }
    [...fused, ...plain].forEach((t) => t.dispose());
    bn.dispose();
  }
});

test("batchnorm: bad shapes and arguments are rejected before dispatch, naming the shapes", async () => {
  await setup();
  const x = tensor(uniform(12, 1), [2, 3, 2]);
  const three = tensor([1, 1, 1], [3]);
  const two = tensor([1, 1], [2]);
  await assertRejects(() => F.batchNorm(tensor([1, 2, 3], [3]), null, null, null, null, true), /batchNorm.*\[3\]/, "1-D input");
  await assertRejects(() => F.batchNorm(x, null, null, two, null, true), /batchNorm.*weight \[2\].*3.*\[2, 3, 2\]/, "weight size");
  await assertRejects(() => F.batchNorm(x, null, null, three, two, true), /batchNorm.*bias \[2\]/, "bias size");
  await assertRejects(() => F.batchNorm(x, two, two, null, null, false), /batchNorm.*runningMean \[2\]/, "running mean size");
  await assertRejects(() => F.batchNorm(x, null, null, null, null, false), /batchNorm.*needs runningMean and runningVar/, "eval without stats");
  await assertRejects(() => F.batchNorm(x, three, null, null, null, true), /batchNorm.*both/, "one running stat");
  await assertRejects(() => F.batchNorm(tensor([1, 2, 3], [1, 3]), null, null, null, null, true), /more than 1 value per channel.*\[1, 3\]/, "one value per channel");
});
