// Per-kernel benchmarks: forward, input gradient (dX) and weight gradient (dW)
// of every convolution shape of the chosen presets at their batch size, plus
// linear layers, batch norm (training forward + backward), Adam and
// elementwise ops. Compute-bound ops are quoted in GFLOP/s against the FMA
// roofline, memory-bound ones in GB/s (minimum traffic: each input read once,
// each output written once) against the copy roofline.
//
// A backward pass is timed alone: the forward is recorded once, then the op's
// backward rule (the function the tape calls) runs R times with only x (dX) or
// only w (dW) marked as needing a gradient. Convolutions run without a bias
// (the bias gradient is a separate small reduction).
import { F, noGrad, randn, rand, zeros, Adam, add, type Tensor } from "../src/index.js";
import { namedConfig } from "./configs.js";
import { buildNetworks, disposeNetworks } from "../src/ocgan/networks.js";
import { networkLayers, type Layer } from "./flops.js";
import { timeOp, type TimingOptions } from "./timing.js";
import { spotCheck, type Roofline } from "./roofline.js";

export interface KernelResult {
  name: string;
  group: "conv2d" | "convTranspose2d" | "linear" | "batchNorm" | "adam" | "elementwise";
  pass: "forward" | "dX" | "dW" | "train fwd+bwd" | "step";
  /** Where the shape occurs, e.g. "paper: En.1 Cl.1". */
  usedBy: string;
  shape: string;
  ms: number;
  reps: number;
  flops?: number;
  gflops?: number;
  bytes?: number;
  gbps?: number;
  /** GFLOP/s over the FMA roofline, or GB/s over the copy roofline (the run's best). */
  fraction: number;
  /**
   * For the roofline chart, the other half of the arithmetic intensity
   * (FLOP per byte of minimum traffic): a compute-bound kernel's bytes, a
   * memory-bound one's FLOPs (counted from its formula). `fraction` does not use them.
   */
  intensity?: number;
  /** The roofs re-measured just before this kernel (spotCheck), and the share of those: the machine's load moves both. */
  spot?: { fmaGflops: number; copyGBps: number };
  fractionOfSpot?: number;
  error?: string;
}

interface ConvShape {
  key: string;
  layer: Layer;
  batch: number;
  usedBy: string[];
}

/** Distinct conv/convT shapes of the presets (linear layers are benchmarked separately). */
export function convShapes(presets: string[], batch: number): ConvShape[] {
  const shapes = new Map<string, ConvShape>();
  for (const preset of presets) {
    const config = namedConfig(preset, batch);
    const nets = buildNetworks(config);
    const L = networkLayers(nets);
    disposeNetworks(nets);
    for (const layers of Object.values(L)) {
      for (const layer of layers) {
        if (layer.kind === "linear") continue;
        const key = `${layer.kind} ${layer.cin}->${layer.cout} k${layer.k} s${layer.stride} p${layer.padding} ${layer.hin}->${layer.hout} N${config.batch}`;
        let s = shapes.get(key);
        if (!s) shapes.set(key, (s = { key, layer, batch: config.batch, usedBy: [] }));
        s.usedBy.push(`${preset}:${layer.net}.${layer.index}`);
      }
    }
  }
  return [...shapes.values()];
}

function disposeAll(...ts: (Tensor | null | undefined)[]) {
  for (const t of ts) {
    t?.grad?.dispose();
    t?.dispose();
  }
}

type Pass = { pass: KernelResult["pass"]; run: () => void };

/**
 * FLOPs per element of the memory-bound ops, counted from their formulas (for
 * the roofline chart's x axis only). Batch norm, training forward and
 * backward: mean, variance, normalise, scale and shift (7), then the two
 * parameter-gradient sums and the input gradient (8). Adam per parameter:
 * both moment updates (7), the bias corrections folded into the step size, and
 * the step p -= lr * m / (sqrt(v) + eps) (4). Add and leaky ReLU: 1.
 */
const BATCH_NORM_FLOPS = 15;
const ADAM_FLOPS = 11;

/** Times each pass, turning a thrown error into a result with `error` (an op still being written, say). */
async function timePasses(
  base: Omit<KernelResult, "pass" | "ms" | "reps" | "fraction">,
  passes: Pass[],
  cost: { flops?: number; bytes?: (pass: string) => number; flopsPerByte?: (pass: string) => number },
  roof: Roofline,
  timing: TimingOptions,
  out: KernelResult[],
  log: (line: string) => void,
) {
  const spot = await spotCheck();
  for (const { pass, run } of passes) {
    const r: KernelResult = { ...base, pass, ms: NaN, reps: 0, fraction: NaN, spot };
    if (cost.flopsPerByte) r.intensity = cost.flopsPerByte(pass);
    try {
      const t = await timeOp(run, timing);
      r.ms = t.ms;
      r.reps = t.reps;
      if (cost.flops !== undefined) {
        r.flops = cost.flops;
        r.gflops = cost.flops / (t.ms * 1e6);
        r.fraction = r.gflops / roof.fmaGflops;
        r.fractionOfSpot = r.gflops / spot.fmaGflops;
      } else if (cost.bytes) {
        r.bytes = cost.bytes(pass);
        r.gbps = r.bytes / (t.ms * 1e6);
        r.fraction = r.gbps / roof.copyGBps;
        r.fractionOfSpot = r.gbps / spot.copyGBps;
      }
      const rate = r.gflops !== undefined ? `${r.gflops.toFixed(2)} GFLOP/s` : `${r.gbps!.toFixed(2)} GB/s`;
      log(`  ${r.name} ${pass}: ${t.ms.toFixed(3)} ms, ${rate}, ${(100 * r.fraction).toFixed(1)}% of roofline (${(100 * r.fractionOfSpot!).toFixed(1)}% of the spot check)`);
    } catch (error) {
      r.error = error instanceof Error ? error.message : String(error);
      log(`  ${r.name} ${pass}: FAILED ${r.error}`);
    }
    out.push(r);
  }
}

async function benchConv(s: ConvShape, roof: Roofline, timing: TimingOptions, out: KernelResult[], log: (l: string) => void) {
  const { layer: l, batch: N } = s;
  const transposed = l.kind === "convTranspose2d";
  const x = randn([N, l.cin, l.hin, l.hin]);
  const w = randn(transposed ? [l.cin, l.cout, l.k, l.k] : [l.cout, l.cin, l.k, l.k], { std: 0.02 });
  const options = { stride: l.stride, padding: l.padding };
  const op = (a: Tensor) => (transposed ? F.convTranspose2d(a, w, null, options) : F.conv2d(a, w, null, options));
  let y: Tensor | null = null;
  let dy: Tensor | null = null;
  try {
    x.requiresGrad = w.requiresGrad = true;
    y = op(x); // recorded once: its backward rule is what dX and dW run
    dy = randn(y.shape);
    const rule = y.backwardRule!;
    const backward = (wantX: boolean) => () => {
      x.requiresGrad = wantX;
      w.requiresGrad = !wantX;
      rule(dy!); // the gradients it returns are freed by the scope around each repetition
    };
    const passes: Pass[] = [
      { pass: "forward", run: () => void noGrad(() => op(x)) },
      { pass: "dX", run: backward(true) },
      { pass: "dW", run: backward(false) },
    ];
    const name = `${transposed ? "convT" : "conv"} ${l.cin}->${l.cout} ${l.hin}->${l.hout}`;
    const shape = `x[${N},${l.cin},${l.hin},${l.hin}] k${l.k} s${l.stride} p${l.padding}`;
    // Minimum traffic of each pass: its two inputs read once, its output written once.
    const [xBytes, wBytes, yBytes] = [x.size * 4, w.size * 4, y.size * 4];
    const traffic: Record<string, number> = { forward: xBytes + wBytes + yBytes, dX: yBytes + wBytes + xBytes, dW: xBytes + yBytes + wBytes };
    const flops = 2 * N * l.macs;
    await timePasses({ name, group: l.kind as "conv2d", usedBy: s.usedBy.join(", "), shape }, passes, { flops, flopsPerByte: (pass) => flops / traffic[pass] }, roof, timing, out, log);
  } finally {
    disposeAll(x, w, y, dy);
  }
}

async function benchLinear(n: number, inF: number, outF: number, usedBy: string, roof: Roofline, timing: TimingOptions, out: KernelResult[], log: (l: string) => void) {
  const x = randn([n, inF]);
  const w = randn([outF, inF], { std: 0.02 });
  let y: Tensor | null = null;
  let dy: Tensor | null = null;
  try {
    x.requiresGrad = w.requiresGrad = true;
    y = F.linear(x, w);
    dy = randn(y.shape);
    const rule = y.backwardRule!;
    const backward = (wantX: boolean) => () => {
      x.requiresGrad = wantX;
      w.requiresGrad = !wantX;
      rule(dy!);
    };
    const passes: Pass[] = [
      { pass: "forward", run: () => void noGrad(() => F.linear(x, w)) },
      { pass: "dX", run: backward(true) },
      { pass: "dW", run: backward(false) },
    ];
    const flops = 2 * n * inF * outF;
    const traffic = 4 * (n * inF + outF * inF + n * outF); // every pass reads two of x, w, y (or their gradients) and writes the third
    await timePasses({ name: `linear ${inF}->${outF} N${n}`, group: "linear", usedBy, shape: `x[${n},${inF}] w[${outF},${inF}]` }, passes, { flops, flopsPerByte: () => flops / traffic }, roof, timing, out, log);
  } finally {
    disposeAll(x, w, y, dy);
  }
}

async function benchBatchNorm(shape: number[], usedBy: string, roof: Roofline, timing: TimingOptions, out: KernelResult[], log: (l: string) => void) {
  const C = shape[1];
  const x = randn(shape, { requiresGrad: true });
  const dy = randn(shape);
  const rm = zeros([C]);
  const rv = zeros([C]);
  const gamma = rand([C], { lo: 0.9, hi: 1.1, requiresGrad: true });
  const beta = zeros([C], { requiresGrad: true });
  try {
    const run = () => {
      F.batchNorm(x, rm, rv, gamma, beta, true, 0.1, 1e-5).backward(dy);
      for (const t of [x, gamma, beta]) {
        t.grad?.dispose(); // leaf gradients escape scopes: free them here
        t.grad = null;
      }
    };
    const n = x.size;
    // Minimum traffic: forward reads x and writes y; backward reads x and dy and writes dx.
    await timePasses({ name: `batchNorm [${shape}]`, group: "batchNorm", usedBy, shape: `[${shape}]` }, [{ pass: "train fwd+bwd", run }], { bytes: () => 4 * n * (2 + 3), flopsPerByte: () => BATCH_NORM_FLOPS / (4 * (2 + 3)) }, roof, timing, out, log);
  } finally {
    disposeAll(x, dy, rm, rv, gamma, beta);
  }
}

async function benchAdam(n: number, roof: Roofline, timing: TimingOptions, out: KernelResult[], log: (l: string) => void) {
  const param = randn([n], { requiresGrad: true });
  param.grad = randn([n], { std: 1e-3 });
  const opt = new Adam([param], { lr: 2e-4, betas: [0.5, 0.999] });
  try {
    // Reads param, grad, m, v; writes param, m, v.
    await timePasses({ name: `adam ${n / (1 << 20)}M params`, group: "adam", usedBy: "every optimiser step", shape: `[${n}]` }, [{ pass: "step", run: () => opt.step() }], { bytes: () => 4 * n * 7, flopsPerByte: () => ADAM_FLOPS / (4 * 7) }, roof, timing, out, log);
  } finally {
    opt.dispose();
    disposeAll(param);
  }
}

async function benchElementwise(n: number, roof: Roofline, timing: TimingOptions, out: KernelResult[], log: (l: string) => void) {
  const a = randn([n]);
  const b = randn([n]);
  try {
    await timePasses({ name: `add ${n / (1 << 20)}M`, group: "elementwise", usedBy: "x + noise, gradient sums", shape: `[${n}] + [${n}]` }, [{ pass: "forward", run: () => void add(a, b) }], { bytes: () => 12 * n, flopsPerByte: () => 1 / 12 }, roof, timing, out, log);
    await timePasses({ name: `leakyRelu ${n / (1 << 20)}M`, group: "elementwise", usedBy: "En, Dv, Cl activations", shape: `[${n}]` }, [{ pass: "forward", run: () => void F.leakyRelu(a, 0.2) }], { bytes: () => 8 * n, flopsPerByte: () => 1 / 8 }, roof, timing, out, log);
  } finally {
    disposeAll(a, b);
  }
}

export interface KernelOptions {
  presets: string[];
  batch: number;
  quick: boolean;
  /** Substring filter on kernel names. */
  grep?: string;
  /** Stops the run before the next kernel once aborted. */
  signal?: AbortSignal;
  /** Each pass as soon as it is timed, with the count of passes done and planned. */
  onResult?(result: KernelResult, done: number, total: number): void;
}

/** Kernels to benchmark: the names --grep matches, how many passes they time, and how. */
interface KernelTask {
  names: string[];
  passes: number;
  run(out: KernelResult[]): Promise<void>;
}

export async function benchKernels(roof: Roofline, o: KernelOptions, log: (line: string) => void): Promise<KernelResult[]> {
  const timing: TimingOptions = o.quick ? { targetMs: 100, batches: 3, maxReps: 50 } : { targetMs: 250, batches: 5, maxReps: 200 };
  const batch = o.batch;
  const latent = namedConfig(o.presets[0] ?? "fast", batch).latent;
  const tasks: KernelTask[] = [];
  const task = (name: string | string[], passes: number, run: KernelTask["run"]) => tasks.push({ names: [name].flat(), passes, run });
  for (const s of convShapes(o.presets, batch)) {
    const l = s.layer;
    task(`${l.kind === "convTranspose2d" ? "convT" : "conv"} ${l.cin}->${l.cout} ${l.hin}->${l.hout}`, 3, (out) => benchConv(s, roof, timing, out, log));
  }
  task("linear", 3, (out) => benchLinear(batch, latent, 128, "every preset: Dl.0", roof, timing, out, log));
  task("linear", 3, (out) => benchLinear(batch, 128, 64, "every preset: Dl.1", roof, timing, out, log));
  // The implicit GEMM of the paper preset's conv 64->128 16->8 (64 x 8 x 8 rows, 64 x 4 x 4 deep, 128 wide).
  task("linear", 3, (out) => benchLinear(4096, 1024, 128, "reference GEMM: paper conv 64->128 as a matmul", roof, timing, out, log));
  for (const preset of o.presets) {
    const c = namedConfig(preset, batch);
    task("batchNorm", 1, (out) => benchBatchNorm([c.batch, c.base, 16, 16], `${preset}: De BN after convT ${2 * c.base}->${c.base} (largest)`, roof, timing, out, log));
  }
  task("batchNorm", 1, (out) => benchBatchNorm([batch, 128], "every preset: Dl.0", roof, timing, out, log));
  task("adam", 1, (out) => benchAdam(1 << 20, roof, timing, out, log));
  task(["add", "leakyRelu"], 2, (out) => benchElementwise(1 << 20, roof, timing, out, log));

  const chosen = tasks.filter((t) => !o.grep || t.names.some((name) => name.includes(o.grep!)));
  const total = chosen.reduce((n, t) => n + t.passes, 0);
  const out: KernelResult[] = [];
  for (const t of chosen) {
    o.signal?.throwIfAborted();
    const before = out.length;
    await t.run(out);
    for (let k = before; k < out.length; k++) o.onResult?.(out[k], k + 1, total);
  }
  return out;
}
