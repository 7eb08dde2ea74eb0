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

/** Times each pass, turning a thrown error into a result with `error` (an op still being written, say). */
async function timePasses(
  base: Omit<KernelResult, "pass" | "ms" | "reps" | "fraction">,
  passes: Pass[],
  cost: { flops?: number; bytes?: (pass: string) => number },
  roof: Roofline,
  timing: TimingOptions,
  out: KernelResult[],
  log: (line: string) => void,
) {
  const spot = await spotCheck();
  for (const { pass, run } of passes) {
    const r: KernelResult = { ...base, pass, ms: NaN, reps: 0, fraction: NaN, spot };
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
    await timePasses({ name, group: l.kind as "conv2d", usedBy: s.usedBy.join(", "), shape }, passes, { flops: 2 * N * l.macs }, roof, timing, out, log);
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
    await timePasses({ name: `linear ${inF}->${outF} N${n}`, group: "linear", usedBy, shape: `x[${n},${inF}] w[${outF},${inF}]` }, passes, { flops: 2 * n * inF * outF }, roof, timing, out, log);
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
    await timePasses({ name: `batchNorm [${shape}]`, group: "batchNorm", usedBy, shape: `[${shape}]` }, [{ pass: "train fwd+bwd", run }], { bytes: () => 4 * n * (2 + 3) }, roof, timing, out, log);
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
    await timePasses({ name: `adam ${n / (1 << 20)}M params`, group: "adam", usedBy: "every optimiser step", shape: `[${n}]` }, [{ pass: "step", run: () => opt.step() }], { bytes: () => 4 * n * 7 }, roof, timing, out, log);
  } finally {
    opt.dispose();
    disposeAll(param);
  }
}

async function benchElementwise(n: number, roof: Roofline, timing: TimingOptions, out: KernelResult[], log: (l: string) => void) {
  const a = randn([n]);
  const b = randn([n]);
  try {
    await timePasses({ name: `add ${n / (1 << 20)}M`, group: "elementwise", usedBy: "x + noise, gradient sums", shape: `[${n}] + [${n}]` }, [{ pass: "forward", run: () => void add(a, b) }], { bytes: () => 12 * n }, roof, timing, out, log);
    await timePasses({ name: `leakyRelu ${n / (1 << 20)}M`, group: "elementwise", usedBy: "En, Dv, Cl activations", shape: `[${n}]` }, [{ pass: "forward", run: () => void F.leakyRelu(a, 0.2) }], { bytes: () => 8 * n }, roof, timing, out, log);
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
}

export async function benchKernels(roof: Roofline, o: KernelOptions, log: (line: string) => void): Promise<KernelResult[]> {
  const timing: TimingOptions = o.quick ? { targetMs: 100, batches: 3, maxReps: 50 } : { targetMs: 250, batches: 5, maxReps: 200 };
  const out: KernelResult[] = [];
  const wanted = (name: string) => !o.grep || name.includes(o.grep);
  for (const s of convShapes(o.presets, o.batch)) {
    const l = s.layer;
    if (!wanted(`${l.kind === "convTranspose2d" ? "convT" : "conv"} ${l.cin}->${l.cout} ${l.hin}->${l.hout}`)) continue;
    await benchConv(s, roof, timing, out, log);
  }
  const batch = o.batch;
  const latent = namedConfig(o.presets[0] ?? "fast", batch).latent;
  if (wanted("linear")) {
    await benchLinear(batch, latent, 128, "every preset: Dl.0", roof, timing, out, log);
    await benchLinear(batch, 128, 64, "every preset: Dl.1", roof, timing, out, log);
    // The implicit GEMM of the paper preset's conv 64->128 16->8 (64 x 8 x 8 rows, 64 x 4 x 4 deep, 128 wide).
    await benchLinear(4096, 1024, 128, "reference GEMM: paper conv 64->128 as a matmul", roof, timing, out, log);
  }
  if (wanted("batchNorm")) {
    for (const preset of o.presets) {
      const c = namedConfig(preset, batch);
      await benchBatchNorm([c.batch, c.base, 16, 16], `${preset}: De BN after convT ${2 * c.base}->${c.base} (largest)`, roof, timing, out, log);
    }
    await benchBatchNorm([batch, 128], "every preset: Dl.0", roof, timing, out, log);
  }
  if (wanted("adam")) await benchAdam(1 << 20, roof, timing, out, log);
  if (wanted("add") || wanted("leakyRelu")) await benchElementwise(1 << 20, roof, timing, out, log);
  return out;
}
