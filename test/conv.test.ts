import { test, assert, assertClose, assertRejects } from "./harness.js";
import { setup } from "./setup.js";
import { gradcheck } from "./gradcheck.js";
import { uniform } from "./random.js";
import { tensor, F, scope, runtime, CONV_KERNEL_VARIANTS, convKernelVariants, type ConvKernelFamily, type Tensor } from "../src/index.js";

// ---------------------------------------------------------------------------
// CPU references, written straight from the definitions (PyTorch semantics).

type Pair = [number, number];

interface Case {
  N: number; Ci: number; H: number; W: number; Co: number;
  K: Pair; stride: Pair; padding: Pair; bias: boolean;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Runs a check once per kernel variant of each tuned pass (forward, input
 * gradient, weight gradient) this device can run (convKernelVariants),
 * whatever the tuner would pick for that shape: every variant must agree
 * with the CPU everywhere.
 */
async function withEachKernelFamily(check: (family: string) => Promise<void>): Promise<void> {
  const { tuner } = runtime();
  const families = Object.keys(CONV_KERNEL_VARIANTS) as ConvKernelFamily[];
  const variants = families.map((f) => convKernelVariants(f));
  try {
    // Every variant of each pass at least once, paired so the runs stay few.
    for (let i = 0; i < Math.max(...variants.map((v) => v.length)); i++) {
      const chosen = families.map((f, j) => `${f} ${variants[j][i % variants[j].length]}`);
      families.forEach((f, j) => tuner.force(f, variants[j][i % variants[j].length]));
      await check(chosen.join(", "));
    }
  } finally {
    for (const f of families) tuner.force(f, null);
  }
}

/** y[n, co, oy, ox] = b[co] + sum x[n, ci, oy*sy - py + ky, ox*sx - px + kx] * w[co, ci, ky, kx]. */
function conv2dCpu(x: Float32Array, w: Float32Array, b: Float32Array | null, c: Case): { y: Float32Array; shape: number[] } {
  const { N, Ci, H, W, Co, K: [KH, KW], stride: [SY, SX], padding: [PY, PX] } = c;
  const Ho = Math.floor((H + 2 * PY - KH) / SY) + 1;
  const Wo = Math.floor((W + 2 * PX - KW) / SX) + 1;
  const y = new Float32Array(N * Co * Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let co = 0; co < Co; co++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          let s = b ? b[co] : 0;
          for (let ci = 0; ci < Ci; ci++)
            for (let ky = 0; ky < KH; ky++)
              for (let kx = 0; kx < KW; kx++) {
                const iy = oy * SY - PY + ky;
                const ix = ox * SX - PX + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += x[((n * Ci + ci) * H + iy) * W + ix] * w[((co * Ci + ci) * KH + ky) * KW + kx];
              }
          y[((n * Co + co) * Ho + oy) * Wo + ox] = s;
        }
  return { y, shape: [N, Co, Ho, Wo] };
}

/**
 * Transposed convolution as a scatter: every input value x[n, ci, iy, ix] adds
 * x * w[ci, co, ky, kx] to out[n, co, iy*sy - py + ky, ix*sx - px + kx] (w is
 * [Ci, Co, KH, KW], PyTorch's layout). Here Ci/H/W describe the input x.
 */
function convTranspose2dCpu(x: Float32Array, w: Float32Array, b: Float32Array | null, c: Case): { y: Float32Array; shape: number[] } {
  const { N, Ci, H, W, Co, K: [KH, KW], stride: [SY, SX], padding: [PY, PX] } = c;
  const Ho = (H - 1) * SY - 2 * PY + KH;
  const Wo = (W - 1) * SX - 2 * PX + KW;
  const y = new Float32Array(N * Co * Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let co = 0; co < Co; co++)
      for (let i = 0; i < Ho * Wo; i++) y[(n * Co + co) * Ho * Wo + i] = b ? b[co] : 0;
  for (let n = 0; n < N; n++)
    for (let ci = 0; ci < Ci; ci++)
      for (let iy = 0; iy < H; iy++)
        for (let ix = 0; ix < W; ix++) {
          const v = x[((n * Ci + ci) * H + iy) * W + ix];
          for (let co = 0; co < Co; co++)
            for (let ky = 0; ky < KH; ky++)
              for (let kx = 0; kx < KW; kx++) {
                const oy = iy * SY - PY + ky;
                const ox = ix * SX - PX + kx;
                if (oy < 0 || oy >= Ho || ox < 0 || ox >= Wo) continue;
                y[((n * Co + co) * Ho + oy) * Wo + ox] += v * w[((ci * Co + co) * KH + ky) * KW + kx];
              }
        }
  return { y, shape: [N, Co, Ho, Wo] };
}

/** Gradients of conv2d for an output gradient g, by scatter (dx) and direct sums (dw, db). */
function conv2dBackwardCpu(x: Float32Array, w: Float32Array, g: Float32Array, c: Case) {
  const { N, Ci, H, W, Co, K: [KH, KW], stride: [SY, SX], padding: [PY, PX] } = c;
  const Ho = Math.floor((H + 2 * PY - KH) / SY) + 1;
  const Wo = Math.floor((W + 2 * PX - KW) / SX) + 1;
  const dx = new Float32Array(x.length);
  const dw = new Float32Array(w.length);
  const db = new Float32Array(Co);
  for (let n = 0; n < N; n++)
    for (let co = 0; co < Co; co++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          const gv = g[((n * Co + co) * Ho + oy) * Wo + ox];
          db[co] += gv;
          for (let ci = 0; ci < Ci; ci++)
            for (let ky = 0; ky < KH; ky++)
              for (let kx = 0; kx < KW; kx++) {
                const iy = oy * SY - PY + ky;
                const ix = ox * SX - PX + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const xi = ((n * Ci + ci) * H + iy) * W + ix;
                const wi = ((co * Ci + ci) * KH + ky) * KW + kx;
                dx[xi] += gv * w[wi];
                dw[wi] += gv * x[xi];
              }
        }
  return { dx, dw, db };
}

function describe(c: Case): string {
  return `N${c.N} ${c.Ci}->${c.Co} ${c.H}x${c.W} k${c.K.join("x")} s${c.stride.join(",")} p${c.padding.join(",")}${c.bias ? " bias" : ""}`;
}

/** Random inputs for a case; convTranspose2d's weight is [Ci, Co, KH, KW], conv2d's [Co, Ci, KH, KW]. */
function inputsFor(c: Case, transposed: boolean, seed: number) {
  const xShape = [c.N, c.Ci, c.H, c.W];
  const wShape = transposed ? [c.Ci, c.Co, ...c.K] : [c.Co, c.Ci, ...c.K];
  return {
    xShape,
    wShape,
    x: uniform(sizeOf(xShape), seed),
    w: uniform(sizeOf(wShape), seed + 1),
    b: c.bias ? uniform(c.Co, seed + 2) : null,
  };
}

const opts = (c: Case) => ({ stride: c.stride, padding: c.padding });

function runOp(transposed: boolean, c: Case, x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  return transposed ? F.convTranspose2d(x, w, b, opts(c)) : F.conv2d(x, w, b, opts(c));
}

async function checkForward(transposed: boolean, c: Case, seed: number): Promise<void> {
  await withEachKernelFamily((family) => checkForwardWith(family, transposed, c, seed));
}

async function checkForwardWith(family: string, transposed: boolean, c: Case, seed: number): Promise<void> {
  const { xShape, wShape, x, w, b } = inputsFor(c, transposed, seed);
  const expected = (transposed ? convTranspose2dCpu : conv2dCpu)(x, w, b, c);
  const y = scope(() => runOp(transposed, c, tensor(x, xShape), tensor(w, wShape), b ? tensor(b, [c.Co]) : null));
  const name = `${transposed ? "convTranspose2d" : "conv2d"} ${describe(c)} [${family} kernels]`;
  assert(y.shape.join() === expected.shape.join(), `${name}: shape [${y.shape}], expected [${expected.shape}]`);
  assertClose(await y.toArray(), expected.y, name, 1e-5, 1e-4);
  y.dispose();
}

const pair = (a: number, b = a): Pair => [a, b];
const conv = (N: number, Ci: number, H: number, W: number, Co: number, K: Pair, stride: Pair, padding: Pair, bias: boolean): Case =>
  ({ N, Ci, H, W, Co, K, stride, padding, bias });

// ---------------------------------------------------------------------------
// Forward against the CPU.

const conv2dCases: Case[] = [
  conv(2, 3, 5, 7, 5, pair(3), pair(1), pair(0), true), // odd, non-square, Co not a multiple of 4
  conv(1, 1, 9, 6, 3, [3, 2], pair(2), pair(1), false), // Cin = 1, batch 1, non-square kernel
  conv(3, 2, 8, 8, 6, pair(4), pair(2), pair(1), true), // OCGAN's k4 s2 p1 (8 -> 4)
  conv(2, 5, 4, 4, 2, pair(4), pair(1), pair(0), true), // OCGAN's k4 s1 p0 (4 -> 1)
  conv(2, 3, 7, 9, 1, [2, 3], [2, 1], [0, 2], false), // different strides and paddings per axis, Co = 1
  conv(1, 4, 1, 1, 7, pair(1), pair(1), pair(0), true), // 1x1 image, 1x1 kernel
  conv(2, 2, 6, 5, 4, pair(3), pair(3), pair(2), true), // stride 3, padding 2
  conv(1, 2, 3, 3, 3, pair(2), pair(1), pair(2), true), // padding = kernel: corner windows hold only padding
  conv(1, 2, 9, 9, 8, pair(7), pair(1), pair(3), true), // 7x7 kernel: the tile kernels shrink their tile to bound the source
];

test("conv: conv2d forward matches the CPU (strides 1-3, paddings 0-2, odd sizes, Cin = 1, batch 1, with and without bias)", async () => {
  await setup();
  for (const [k, c] of conv2dCases.entries()) await checkForward(false, c, 100 + 10 * k);
});

// Here Ci, H, W describe convTranspose2d's input and Co its output channels.
const convTransposeCases: Case[] = [
  conv(2, 3, 4, 5, 2, pair(3), pair(1), pair(0), true), // stride 1
  conv(1, 2, 3, 3, 5, pair(4), pair(2), pair(1), false), // OCGAN's k4 s2 p1 (3 -> 6), batch 1
  conv(3, 4, 1, 1, 3, pair(4), pair(1), pair(0), true), // OCGAN's k4 s1 p0 (1 -> 4)
  conv(2, 1, 3, 4, 1, [3, 2], [2, 3], [1, 0], false), // Cin = Cout = 1, different strides per axis
  conv(2, 2, 3, 2, 2, pair(2), pair(3), pair(0), true), // stride > kernel: output rows no tap reaches hold the bias
  conv(1, 5, 5, 3, 6, [4, 3], pair(2), [2, 1], true), // odd, non-square, padding 2
  conv(2, 2, 5, 4, 3, pair(2), pair(1), pair(2), false), // padding = kernel: output 2x1
  conv(1, 3, 4, 4, 2, pair(7), pair(1), pair(3), true), // 7x7 kernel (the tile kernels shrink their tile)
];

test("conv: convTranspose2d forward matches the CPU (strides 1-3, paddings 0-2, 1x1 input, with and without bias)", async () => {
  await setup();
  for (const [k, c] of convTransposeCases.entries()) await checkForward(true, c, 200 + 10 * k);
});

// ---------------------------------------------------------------------------
// Backward by finite differences (the ops are linear in each input, so the check is tight).

async function checkGradients(transposed: boolean, c: Case, seed: number): Promise<void> {
  await withEachKernelFamily((family) => checkGradientsWith(family, transposed, c, seed));
}

async function checkGradientsWith(family: string, transposed: boolean, c: Case, seed: number): Promise<void> {
  const { xShape, wShape, x, w, b } = inputsFor(c, transposed, seed);
  const inputs = [{ data: x, shape: xShape }, { data: w, shape: wShape }];
  if (b) inputs.push({ data: b, shape: [c.Co] });
  const name = `${transposed ? "convTranspose2d" : "conv2d"} ${describe(c)} [${family} kernels]`;
  await gradcheck(name, (xt, wt, bt) => runOp(transposed, c, xt, wt, bt ?? null), inputs, { atol: 2e-3, rtol: 2e-3 });
}

test("conv: conv2d gradients of x, w and b by finite differences", async () => {
  await setup();
  await checkGradients(false, conv(2, 2, 5, 4, 3, pair(3), pair(2), pair(1), true), 300);
  await checkGradients(false, conv(1, 1, 4, 4, 2, pair(4), pair(1), pair(0), true), 310);
  await checkGradients(false, conv(1, 3, 3, 5, 5, [2, 3], [1, 2], [1, 0], false), 320);
});

test("conv: convTranspose2d gradients of x, w and b by finite differences", async () => {
  await setup();
  await checkGradients(true, conv(2, 2, 3, 2, 3, pair(4), pair(2), pair(1), true), 400);
  await checkGradients(true, conv(1, 3, 1, 1, 2, pair(4), pair(1), pair(0), true), 410);
  await checkGradients(true, conv(1, 2, 2, 3, 1, [3, 2], [2, 1], [0, 1], false), 420);
});

test("conv: a gradient is computed only for inputs that need one", async () => {
  await setup();
  const c = conv(1, 2, 4, 4, 3, pair(3), pair(1), pair(1), true);
  const { xShape, wShape, x, w, b } = inputsFor(c, false, 500);
  const xt = tensor(x, xShape);
  const wt = tensor(w, wShape, { requiresGrad: true });
  const bt = tensor(b!, [c.Co]);
  const y = F.conv2d(xt, wt, bt, opts(c));
  y.backward(tensor(uniform(y.size, 501), [...y.shape]));
  assert(xt.grad === null && bt.grad === null, "no gradient for x or b");
  const expected = conv2dBackwardCpu(x, w, uniform(y.size, 501), c);
  assertClose(await wt.grad!.toArray(), expected.dw, "dw");
  for (const t of [xt, wt, bt, y, wt.grad!]) t.dispose();
});

// ---------------------------------------------------------------------------
// OCGAN's real layer shapes against the CPU, forward and backward. These also
// exercise the chunked sums of the weight and bias gradients.

async function checkAgainstCpu(transposed: boolean, c: Case, seed: number): Promise<void> {
  await withEachKernelFamily((family) => checkAgainstCpuWith(family, transposed, c, seed));
}

async function checkAgainstCpuWith(family: string, transposed: boolean, c: Case, seed: number): Promise<void> {
  const { xShape, wShape, x, w, b } = inputsFor(c, transposed, seed);
  const name = `${transposed ? "convTranspose2d" : "conv2d"} ${describe(c)} [${family} kernels]`;
  const expected = (transposed ? convTranspose2dCpu : conv2dCpu)(x, w, b, c);
  const g = uniform(expected.y.length, seed + 5);
  const xt = tensor(x, xShape, { requiresGrad: true });
  const wt = tensor(w, wShape, { requiresGrad: true });
  const bt = b ? tensor(b, [c.Co], { requiresGrad: true }) : null;
  const y = runOp(transposed, c, xt, wt, bt);
  assertClose(await y.toArray(), expected.y, `${name} forward`, 1e-4, 1e-4);
  y.backward(tensor(g, expected.shape));

  let dx: Float32Array, dw: Float32Array, db: Float32Array;
  if (!transposed) {
    ({ dx, dw, db } = conv2dBackwardCpu(x, w, g, c));
  } else {
    // convTranspose2d(x, w) is the input gradient of conv2d(out, w); reuse the conv2d rules with the roles swapped.
    const { N, Ci, Co } = c;
    const [Hout, Wout] = expected.shape.slice(2);
    const asConv = conv(N, Co, Hout, Wout, Ci, c.K, c.stride, c.padding, false);
    // With conv2d's output gradient being our x, conv2d's dW is our dW and conv2d's dX... is our output (checked above).
    const viaConv = conv2dBackwardCpu(g, w, x, asConv);
    dw = viaConv.dw;
    dx = conv2dCpu(g, w, null, asConv).y; // dX of a transposed conv is a conv
    db = new Float32Array(Co);
    const plane = Hout * Wout;
    for (let i = 0; i < g.length; i++) db[Math.floor(i / plane) % Co] += g[i];
  }
  // Sums of up to a few thousand products of values in [-1, 1]: float32 rounding, hence atol 1e-3.
  assertClose(await xt.grad!.toArray(), dx, `${name} dx`, 1e-3, 1e-4);
  assertClose(await wt.grad!.toArray(), dw, `${name} dw`, 1e-3, 1e-4);
  if (bt) assertClose(await bt.grad!.toArray(), db, `${name} db`, 1e-3, 1e-4);
  for (const t of [xt, wt, bt, y, xt.grad, wt.grad, bt?.grad]) t?.dispose();
}

test("conv: OCGAN layer N=2, 16->32 channels, 16x16, k4 s2 p1: forward and gradients match the CPU", async () => {
  await setup();
  await checkAgainstCpu(false, conv(2, 16, 16, 16, 32, pair(4), pair(2), pair(1), true), 600);
});

test("conv: OCGAN first layer N=4, 1->8 channels, 32x32, k4 s2 p1 and last layer 8x4x4 -> 6: gradients match the CPU", async () => {
  await setup();
  await checkAgainstCpu(false, conv(4, 1, 32, 32, 8, pair(4), pair(2), pair(1), true), 610);
  await checkAgainstCpu(false, conv(3, 8, 4, 4, 6, pair(4), pair(1), pair(0), true), 620);
});

test("conv: OCGAN decoder layers (convTranspose2d 6->8 1x1 -> 4x4 k4 s1 p0, 8->1 16x16 -> 32x32 k4 s2 p1) match the CPU", async () => {
  await setup();
  await checkAgainstCpu(true, conv(3, 6, 1, 1, 8, pair(4), pair(1), pair(0), true), 700);
  await checkAgainstCpu(true, conv(2, 8, 16, 16, 1, pair(4), pair(2), pair(1), true), 710);
});

test("conv: a weight gradient large enough to be one product (64 x 512 weights, no split over images) matches the CPU", async () => {
  await setup();
  await checkAgainstCpu(false, conv(3, 32, 8, 8, 64, pair(4), pair(2), pair(1), false), 650);
});

test("conv: batches past one block of 8 images (N = 10, 17) match the CPU, forward and gradients", async () => {
  await setup();
  await checkAgainstCpu(false, conv(10, 3, 7, 6, 5, pair(3), pair(2), pair(1), true), 800);
  await checkAgainstCpu(true, conv(17, 5, 3, 4, 6, pair(4), pair(2), pair(1), true), 810);
});

// ---------------------------------------------------------------------------
// Shape errors, thrown before dispatch and naming the op and the shapes.

test("conv: shape errors name the op and the shapes", async () => {
  await setup();
  const t = (shape: number[]) => tensor(new Float32Array(sizeOf(shape)), shape);
  await assertRejects(() => F.conv2d(t([3, 8, 8]), t([4, 3, 3, 3])), /conv2d: input must be 4-D.*\[3, 8, 8\]/, "input rank");
  await assertRejects(() => F.conv2d(t([1, 3, 8, 8]), t([4, 3, 3])), /conv2d: weight must be 4-D.*\[4, 3, 3\]/, "weight rank");
  await assertRejects(() => F.conv2d(t([1, 3, 8, 8]), t([4, 2, 3, 3])), /conv2d: input \[1, 3, 8, 8\] has 3 channels but weight \[4, 2, 3, 3\] expects 2/, "channels");
  await assertRejects(() => F.conv2d(t([1, 3, 8, 8]), t([4, 3, 3, 3]), t([3])), /conv2d: bias must have shape \[4\].*got \[3\]/, "bias length");
  await assertRejects(() => F.conv2d(t([1, 3, 2, 8]), t([4, 3, 5, 3]), null, { padding: 1 }), /conv2d: kernel 5x3 is larger than the padded input 4x10/, "kernel too large");
  await assertRejects(() => F.conv2d(t([1, 3, 8, 8]), t([4, 3, 3, 3]), null, { stride: 0 }), /conv2d: stride must be an integer >= 1/, "stride 0");
  await assertRejects(() => F.conv2d(t([1, 3, 8, 8]), t([4, 3, 3, 3]), null, { padding: [1, -1] }), /conv2d: padding must be an integer >= 0/, "negative padding");
  await assertRejects(() => F.convTranspose2d(t([1, 3, 4, 4]), t([4, 2, 4, 4])), /convTranspose2d: input \[1, 3, 4, 4\] has 3 channels but weight \[4, 2, 4, 4\] expects 4/, "convT channels");
  await assertRejects(() => F.convTranspose2d(t([1, 3, 4, 4]), t([3, 2, 4, 4]), t([3])), /convTranspose2d: bias must have shape \[2\]/, "convT bias");
  await assertRejects(() => F.convTranspose2d(t([1, 3, 1, 1]), t([3, 2, 2, 2]), null, { padding: 1 }), /convTranspose2d: output would be 0x0/, "convT output empty");
});
