import { test, assert, assertClose, assertRejects } from "./harness.js";
import { setup } from "./setup.js";
import { gradcheck } from "./gradcheck.js";
import { uniform } from "./random.js";
import { tensor, F, scope } from "../src/index.js";

/** out[m, n] = Σ_k a[m, k] b[k, n] in float64, for row-major a [M, K] and b [K, N]. */
function cpuMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let d = 0; d < k; d++) s += a[i * k + d] * b[d * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}

/** y = x wᵀ + bias for x [rows, in], w [out, in]. */
function cpuLinear(x: Float32Array, w: Float32Array, bias: Float32Array | null, rows: number, inF: number, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
      y[r * outF + o] = s;
    }
  }
  return y;
}

test("matmul: forward matches the CPU for odd, non-square and tile-crossing sizes", async () => {
  await setup();
  // [M, K, N]: 1x1x1, sizes not multiples of 4, depths below and above the unroll, several 32x32 tiles.
  const cases = [[1, 1, 1], [3, 5, 7], [5, 3, 2], [17, 13, 9], [1, 16, 128], [64, 16, 128], [70, 45, 33], [33, 4, 65]];
  for (const [m, k, n] of cases) {
    const a = uniform(m * k, m + 10 * k);
    const b = uniform(k * n, n + 7 * k);
    const out = await scope(() => F.matmul(tensor(a, [m, k]), tensor(b, [k, n]))).toArray();
    assertClose(out, cpuMatmul(a, b, m, k, n), `matmul [${m},${k}]x[${k},${n}]`, 1e-5, 1e-5);
  }
});

test("matmul: the output has shape [M, N]", async () => {
  await setup();
  const out = F.matmul(tensor(uniform(6, 1), [2, 3]), tensor(uniform(12, 2), [3, 4]));
  assert(out.shape.length === 2 && out.shape[0] === 2 && out.shape[1] === 4, `shape [${out.shape}]`);
  out.dispose();
});

test("matmul: backward by finite differences for both operands", async () => {
  await setup();
  for (const [m, k, n] of [[1, 1, 1], [3, 5, 2], [2, 7, 5]]) {
    await gradcheck(`matmul [${m},${k}]x[${k},${n}]`, F.matmul, [
      { data: uniform(m * k, 3 + m), shape: [m, k] },
      { data: uniform(k * n, 4 + n), shape: [k, n] },
    ]);
  }
});

test("matmul: shape mismatches are rejected before dispatch, naming the shapes", async () => {
  await setup();
  const a = tensor(uniform(6, 1), [2, 3]);
  await assertRejects(() => F.matmul(a, tensor(uniform(8, 2), [4, 2])), /matmul.*\[2, 3\].*\[4, 2\]/, "inner dimensions");
  await assertRejects(() => F.matmul(a, tensor(uniform(3, 2), [3])), /matmul.*2-D.*\[2, 3\].*\[3\]/, "1-D operand");
});

test("matmul: linear forward matches the CPU, with and without bias, batch 1 and the OCGAN latent sizes", async () => {
  await setup();
  // [rows, in, out]: batch 1, odd sizes, and the latent discriminator's 16->128->64->32->16->1 at batch 64.
  const cases = [[1, 1, 1], [1, 7, 3], [5, 3, 9], [64, 16, 128], [64, 128, 64], [64, 64, 32], [64, 32, 16], [64, 16, 1]];
  for (const [rows, inF, outF] of cases) {
    const x = uniform(rows * inF, rows + inF);
    const w = uniform(outF * inF, outF);
    const b = uniform(outF, outF + 100);
    const [withBias, without] = await Promise.all(
      scope(() => [
        F.linear(tensor(x, [rows, inF]), tensor(w, [outF, inF]), tensor(b, [outF])),
        F.linear(tensor(x, [rows, inF]), tensor(w, [outF, inF])),
      ]).map((t) => t.toArray()),
    );
    assertClose(withBias, cpuLinear(x, w, b, rows, inF, outF), `linear ${rows}x${inF}->${outF} with bias`, 1e-5, 1e-5);
    assertClose(without, cpuLinear(x, w, null, rows, inF, outF), `linear ${rows}x${inF}->${outF}`, 1e-5, 1e-5);
  }
});

test("matmul: linear leading dimensions are kept, a 1-D input gives a 1-D output", async () => {
  await setup();
  const x = uniform(2 * 3 * 5, 1);
  const w = uniform(4 * 5, 2);
  const y = F.linear(tensor(x, [2, 3, 5]), tensor(w, [4, 5]));
  assert(y.shape.join() === "2,3,4", `shape [${y.shape}]`);
  assertClose(await y.toArray(), cpuLinear(x, w, null, 6, 5, 4), "linear [2,3,5]", 1e-5, 1e-5);
  const v = F.linear(tensor(x.slice(0, 5), [5]), tensor(w, [4, 5]));
  assert(v.shape.join() === "4", `1-D shape [${v.shape}]`);
  assertClose(await v.toArray(), cpuLinear(x.slice(0, 5), w, null, 1, 5, 4), "linear [5]", 1e-5, 1e-5);
});

test("matmul: linear backward by finite differences for input, weight and bias", async () => {
  await setup();
  for (const [rows, inF, outF] of [[1, 3, 2], [3, 5, 6], [4, 2, 1]]) {
    await gradcheck(`linear ${rows}x${inF}->${outF}`, F.linear, [
      { data: uniform(rows * inF, 20 + rows), shape: [rows, inF] },
      { data: uniform(outF * inF, 21 + outF), shape: [outF, inF] },
      { data: uniform(outF, 22), shape: [outF] },
    ]);
  }
  // Without bias, and with a frozen weight (only the input needs its gradient, as when mining latents).
  await gradcheck("linear without bias", (x, w) => F.linear(x, w), [
    { data: uniform(6, 30), shape: [2, 3] },
    { data: uniform(12, 31), shape: [4, 3] },
  ]);
  await gradcheck("linear, input only", F.linear, [
    { data: uniform(10, 32), shape: [2, 5] },
    { data: uniform(15, 33), shape: [3, 5], check: false },
    { data: uniform(3, 34), shape: [3], check: false },
  ]);
});

test("matmul: linear the bias gradient sums over many rows", async () => {
  await setup();
  const rows = 300;
  const x = tensor(uniform(rows * 2, 40), [rows, 2]);
  const b = tensor(uniform(3, 41), [3], { requiresGrad: true });
  const g = uniform(rows * 3, 42);
  F.linear(x, tensor(uniform(6, 43), [3, 2]), b).backward(tensor(g, [rows, 3]));
  const expected = [0, 1, 2].map((j) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += g[r * 3 + j];
    return s;
  });
  assertClose(await b.grad!.toArray(), expected, "db", 1e-4, 1e-5);
});

test("matmul: linear shape mismatches are rejected before dispatch, naming the shapes", async () => {
  await setup();
  const x = tensor(uniform(6, 1), [2, 3]);
  await assertRejects(() => F.linear(x, tensor(uniform(8, 2), [2, 4])), /linear.*\[2, 3\].*\[2, 4\]/, "in_features");
  await assertRejects(() => F.linear(x, tensor(uniform(3, 2), [3])), /linear.*weight.*2-D.*\[3\]/, "1-D weight");
  await assertRejects(() => F.linear(x, tensor(uniform(6, 2), [2, 3]), tensor(uniform(3, 3), [3])), /linear.*bias.*\[2\].*\[3\]/, "bias");
});

test("matmul: a 1024x128 by 128x1024 product, spot-checked against the CPU", async () => {
  await setup();
  const [m, k, n] = [1024, 128, 1024];
  const a = uniform(m * k, 1);
  const b = uniform(k * n, 2);
  const ta = tensor(a, [m, k]);
  const tb = tensor(b, [k, n]);
  const out = F.matmul(ta, tb);
  const got = await out.toArray();
  for (const [i, j] of [[0, 0], [m - 1, n - 1], [517, 3], [9, 1000]]) {
    let s = 0;
    for (let d = 0; d < k; d++) s += a[i * k + d] * b[d * n + j];
    assertClose([got[i * n + j]], [s], `out[${i}, ${j}]`, 1e-5, 1e-5);
  }
  [ta, tb, out].forEach((t) => t.dispose());
});
