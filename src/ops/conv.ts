// Convolutions: conv2d and convTranspose2d with PyTorch's semantics (NCHW, no
// groups, no dilation), forward and backward.
//
// Three passes do all the work, each written once and each described by the
// geometry of one conv2d, x [N, Ci, H, W] * w [Co, Ci, KH, KW] -> y [N, Co, Ho, Wo]:
//   convForward     y  = conv(x, w) (+ b)
//   convInputGrad   dx = the transposed convolution of dy with w (+ b)
//   convWeightGrad  dw = the correlation of x with dy summed over the batch:
//                   an implicit GEMM (shaders/conv2d_block.wgsl)
// conv2d uses them as forward, dX and dW. A transposed convolution is the same
// geometry read backwards: its input plays dy, its output plays x, and its
// weight [Cin, Cout, KH, KW] is exactly a conv2d weight [Co, Ci, KH, KW]. So
// convTranspose2d's forward is convInputGrad, its dX is convForward and its dW
// is convWeightGrad with the roles of x and dy swapped. Bias gradients of both
// are the sum of the output gradient over N, H and W (biasGrad).
//
// Each pass has several kernels (variants), and the engine
// times them per layer shape on the adapter at hand (src/gpu/tuner.ts):
//   convForward    "direct"  shaders/conv2d.wgsl, 8 images x 4 channels, taps
//                            clipped to the image per invocation
//                  "block"   shaders/conv2d_block.wgsl, 8 images x 8 channels,
//                            the layer's shape baked in, the same taps in every lane
//                            ("block16": 16 invocations a workgroup instead of 64)
//   convInputGrad  "direct"  as convForward's, a gather over the taps that reach
//                  "gemm"    a product dcols = wᵀ·dy (shaders/matmul.wgsl), then col2im
//                  "phases"  shaders/conv2d_block.wgsl, one dispatch per stride phase
//                            (and "phases16")
//                  "tile"    shaders/conv2d_tile.wgsl (source per shape from
//                            conv-tile.ts), one channel and a tile of input positions
//                            sharing their dy loads; forward has a "tile" too
//                            (a tile of outputs sharing their input patch)
//   convWeightGrad "block"   shaders/conv2d_block.wgsl, an implicit GEMM
//                  "tile"    shaders/conv2d_tile.wgsl, every tap of 8 channels from a
//                            tile of outputs and its input patch, in partial sums
// and, on a device with the `subgroups` feature, each block kernel's quad
// variant (shaders/conv2d_quad.wgsl: "quad", "quad16", "phases_quad",
// "phases_quad16", and "quad" for the weight gradient), where four
// invocations share their loads. Untimed, a shape runs the first variant
// listed for it (the rule measured before the tuner existed). Every variant
// is tested against the CPU.
import { record, empty, type Tensor } from "../autograd/tensor.js";
import type { TensorName } from "../autograd/op-table.js";
import { runtime, grid, joinWgsl, laneVariants, lanesFor } from "../gpu/index.js";
import { kernel, laneKernel, launchElementwise, shapeString } from "./launch.js";
import { gemm, withBlock8x8, BLOCK } from "./matmul.js";
import { zeros } from "./creation.js";
import conv2dWgsl from "../../shaders/conv2d.wgsl";
import conv2dBlockWgsl from "../../shaders/conv2d_block.wgsl";
import sumChunksWgsl from "../../shaders/sum_chunks.wgsl";
import conv2dQuadWgsl from "../../shaders/conv2d_quad.wgsl";
import { forwardTileKernel, inputGradTileKernel, weightGradTileKernel, type TileKernel } from "./conv-tile.js";
import quad8x8Wgsl from "../../shaders/quad8x8.wgsl";
import block8x8Wgsl from "../../shaders/block8x8.wgsl";

export interface ConvOptions {
  /** Step between windows: one number for both dimensions or [sy, sx]. Default 1. */
  stride?: number | readonly [number, number];
  /** Zeros added on each side: one number or [py, px]. Default 0. */
  padding?: number | readonly [number, number];
}

/** One conv2d: x [N, Ci, H, W] * w [Co, Ci, KH, KW] -> y [N, Co, Ho, Wo], stride (SY, SX), padding (PY, PX). */
interface Geometry {
  N: number; Ci: number; H: number; W: number;
  Co: number; Ho: number; Wo: number;
  KH: number; KW: number;
  SY: number; SX: number; PY: number; PX: number;
}

const WORKGROUP = 64; // every entry point of conv2d.wgsl, and conv2d_block.wgsl's default
/** One invocation of the direct kernels (forward, input gradient): one position x 8 images x 4 channels. */
const DIRECT_IMAGES = 8;
const DIRECT_CHANNELS = 4;
/** Weight gradient: split the sum over images until about this many invocations run. */
const WEIGHT_GRAD_TARGET_INVOCATIONS = 512;
/** Bias gradient: elements of one channel summed by one invocation. */
const BIAS_GRAD_CHUNK = 1024;

/** conv2d_block.wgsl with the 8x8 block of its products appended. */
const conv2dBlockSource = withBlock8x8("conv2d_block.wgsl", conv2dBlockWgsl);
/** The quad kernels: quad8x8.wgsl first (it enables subgroups), then what they use of conv2d_block.wgsl and block8x8.wgsl. */
const conv2dQuadSource = joinWgsl(
  ["quad8x8.wgsl", quad8x8Wgsl], ["conv2d_quad.wgsl", conv2dQuadWgsl],
  ["conv2d_block.wgsl", conv2dBlockWgsl], ["block8x8.wgsl", block8x8Wgsl],
);
const blocks = (n: number) => Math.ceil(n / BLOCK);

/** Launches an entry point of conv2d.wgsl, `constants` setting its overrides (the layer's geometry). */
function launch(entry: string, buffers: Record<string, GPUBuffer>, constants: Record<string, number>, invocations: number): void {
  const k = kernel("conv2d.wgsl", conv2dWgsl, entry, constants);
  runtime().launch(k, buffers, {}, grid(Math.ceil(invocations / WORKGROUP)));
}

/**
 * Launches an entry point of conv2d_block.wgsl, or with `quad` its quad form in
 * conv2d_quad.wgsl, whose geometry (and workgroup size) is baked in as
 * override constants; `blocks` counts the 8x8 blocks of the output (a quad computes four).
 */
function launchBlock(entry: string, constants: Record<string, number>, buffers: Record<string, GPUBuffer>, blocks: number, workgroup: number, quad: boolean): void {
  const k = quad
    ? kernel("conv2d_quad.wgsl", conv2dQuadSource, `${entry}_quad`, { ...constants, WG: workgroup })
    : kernel("conv2d_block.wgsl", conv2dBlockSource, entry, { ...constants, WG: workgroup });
  runtime().launch(k, buffers, {}, grid(Math.ceil(blocks / workgroup)));
}

/** Launches a tile kernel (shaders/conv2d_tile.wgsl, its source generated for this shape by conv-tile.ts). */
function launchTile(t: TileKernel, g: Geometry, buffers: Record<string, GPUBuffer>): void {
  const { N, Ci, H, W, Co, Ho, Wo, KH, KW, SY, SX, PY, PX } = g;
  const k = kernel("conv2d_tile.wgsl", t.source, t.entry, { N, Ci, H, W, Co, Ho, Wo, KH, KW, SY, SX, PY, PX, ...t.constants });
  runtime().launch(k, buffers, {}, grid(Math.ceil(t.invocations / WORKGROUP)));
}

/** The workgroup size a block variant's name asks for: "block16" runs 16 invocations a workgroup, "block" the default. */
const workgroupOf = (variant: string) => Number(/\d+$/.exec(variant)?.[0] ?? WORKGROUP);
const isQuad = (variant: string) => variant.includes("quad");
/** 8x8 blocks of an output m x n per other index, as the kernels count them: of 16x16 quad blocks when `quad`. */
const outputBlocks = (m: number, n: number, quad: boolean) => (quad ? 4 * Math.ceil(m / 16) * Math.ceil(n / 16) : blocks(m) * blocks(n));

function geometryConstants(g: Geometry, hasBias: boolean): Record<string, number> {
  const { N, Ci, H, W, Co, Ho, Wo, KH, KW, SY, SX, PY, PX } = g;
  return { N, Ci, H, W, Co, Ho, Wo, KH, KW, SY, SX, PY, PX, HAS_BIAS: hasBias ? 1 : 0 };
}

/** What the tuner's choices are keyed by: the conv2d geometry. */
function shapeKey(g: Geometry): string {
  return `x[${g.N},${g.Ci},${g.H},${g.W}] w[${g.Co},${g.Ci},${g.KH},${g.KW}] s[${g.SY},${g.SX}] p[${g.PY},${g.PX}]`;
}

/**
 * The variant of `family` for geometry g (see tuner.ts), timed among
 * `variants`; its trial runs a variant on zero-filled inputs of the shape,
 * `inputs` giving their shapes. Any variant of the family may be forced.
 */
function pickVariant(family: ConvKernelFamily, g: Geometry, variants: readonly string[], inputs: number[][], run: (variant: string, a: Tensor, b: Tensor) => Tensor): string {
  const trial = (variant: string) => {
    const [a, b] = inputs.map((shape) => zeros(shape));
    run(variant, a, b).dispose();
    a.dispose();
    b.dispose();
  };
  return runtime().tuner.pick(family, shapeKey(g), variants, trial, convKernelVariants(family));
}

// The default order of the input gradient's variants, the rule measured with
// the direct and gemm kernels at batch 64 on SwiftShader before the tuner: the
// product over dcols wins where the direct kernel wastes most of its 4-channel
// blocks (one input channel: dX of a first layer, the forward of a transposed
// conv to one channel) and where there are many input channels (a long depth
// and full 8x8 blocks); the direct kernel from 2 to 16 channels.
const GEMM_MIN_CHANNELS = 24;
/** Every kernel variant of each tuned pass, by the tuner's family name; the quad ones need the `subgroups` feature. */
export const CONV_KERNEL_VARIANTS = {
  conv2d_forward: ["direct", "block", "block16", "quad", "quad16", "tile"],
  conv2d_input_grad: ["direct", "gemm", "phases", "phases16", "phases_quad", "phases_quad16", "tile", "tile2", "tile4"],
  conv2d_weight_grad: ["block", "quad", "tile"],
} as const;
export type ConvKernelFamily = keyof typeof CONV_KERNEL_VARIANTS;

/** The variants of `family` this device can run (the tests run each one). */
export function convKernelVariants(family: ConvKernelFamily): readonly string[] {
  const all: readonly string[] = CONV_KERNEL_VARIANTS[family];
  return runtime().device.features.has("subgroups") ? all : all.filter((v) => !isQuad(v));
}
/**
 * The variants the tuner times for a shape, the untimed choice first. Where
 * the tile kernels are offered for one channel (OCGAN's image layers), they
 * come first; the input gradient's wider tiles only where there are as many
 * channels as they block.
 */
const preferred = (first: string, all: readonly string[]) => [first, ...all.filter((v) => v !== first)];
/** Input channels an invocation of an input-gradient tile variant blocks: "tile" 1, "tile2" 2, "tile4" 4. */
const tileChannels = (variant: string) => Number(variant.slice(4) || 1);
const forwardVariants = (g: Geometry): readonly string[] => {
  const all = convKernelVariants("conv2d_forward");
  return g.Ci === 1 ? preferred("tile", all) : all;
};
const inputGradVariants = (g: Geometry): readonly string[] => {
  const all = convKernelVariants("conv2d_input_grad").filter((v) => !v.startsWith("tile") || g.Ci >= tileChannels(v));
  if (g.Ci === 1) return preferred("tile", all);
  return g.Ci >= GEMM_MIN_CHANNELS ? preferred("gemm", all) : all;
};

/** y [N, Co, Ho, Wo] = conv(x [N, Ci, H, W], w) + b[co]. */
function convForward(g: Geometry, x: Tensor, w: Tensor, b: Tensor | null, op: TensorName): Tensor {
  const inputs = [[g.N, g.Ci, g.H, g.W], [g.Co, g.Ci, g.KH, g.KW]];
  const variant = pickVariant("conv2d_forward", g, forwardVariants(g), inputs, (v, tx, tw) => convForwardBy(v, g, tx, tw, null, op));
  return convForwardBy(variant, g, x, w, b, op);
}

function convForwardBy(variant: string, g: Geometry, x: Tensor, w: Tensor, b: Tensor | null, op: TensorName): Tensor {
  const y = empty([g.N, g.Co, g.Ho, g.Wo], op);
  // Without a bias the kernels never read `bias`; any buffer fills the binding.
  const bias = (b ?? w).buffer;
  if (variant === "tile") {
    launchTile(forwardTileKernel(g, b !== null), g, { x: x.buffer, w: w.buffer, bias, y: y.buffer });
  } else if (variant !== "direct") {
    const quad = isQuad(variant);
    launchBlock(quad ? "conv2d_forward" : "conv2d_forward_block", geometryConstants(g, b !== null), { x: x.buffer, w: w.buffer, bias, y: y.buffer },
      g.Ho * g.Wo * outputBlocks(g.N, g.Co, quad), workgroupOf(variant), quad);
  } else {
    launch("conv2d_forward", { x: x.buffer, w: w.buffer, bias, y: y.buffer }, geometryConstants(g, b !== null), g.Ho * g.Wo * Math.ceil(g.N / DIRECT_IMAGES) * Math.ceil(g.Co / DIRECT_CHANNELS));
  }
  return y;
}

/** dx [N, Ci, H, W] from dy [N, Co, Ho, Wo] and w (+ b[ci]): the transposed convolution. */
function convInputGrad(g: Geometry, dy: Tensor, w: Tensor, b: Tensor | null, op: TensorName): Tensor {
  const inputs = [[g.N, g.Co, g.Ho, g.Wo], [g.Co, g.Ci, g.KH, g.KW]];
  const variant = pickVariant("conv2d_input_grad", g, inputGradVariants(g), inputs, (v, tdy, tw) => convInputGradBy(v, g, tdy, tw, null, op));
  return convInputGradBy(variant, g, dy, w, b, op);
}

function convInputGradBy(variant: string, g: Geometry, dy: Tensor, w: Tensor, b: Tensor | null, op: TensorName): Tensor {
  const dx = empty([g.N, g.Ci, g.H, g.W], op);
  const buffers = { dy: dy.buffer, w: w.buffer, bias: (b ?? w).buffer, dx: dx.buffer };
  if (variant.startsWith("tile")) {
    launchTile(inputGradTileKernel(g, b !== null, tileChannels(variant)), g, buffers);
  } else if (variant === "direct") {
    launch("conv2d_input_grad_direct", buffers, geometryConstants(g, b !== null), g.H * g.W * Math.ceil(g.N / DIRECT_IMAGES) * Math.ceil(g.Ci / DIRECT_CHANNELS));
  } else if (variant.startsWith("phases")) {
    inputGradByPhases(g, buffers, b !== null, workgroupOf(variant), isQuad(variant));
  } else {
    inputGradByGemm(g, dy, w, b, dx, op);
  }
  return dx;
}

/**
 * Along one axis, the input coordinates i whose phase (i + pad) mod stride is
 * `phase`: i = j * stride + phase - pad for j in [start, end); the taps that
 * reach them are k = phase + stride * t for t < taps.
 */
function phaseClass(phase: number, pad: number, stride: number, size: number, kernelSize: number) {
  const start = Math.max(0, Math.ceil((pad - phase) / stride));
  const end = Math.max(start, Math.ceil((size + pad - phase) / stride));
  return { start, end, taps: Math.max(0, Math.ceil((kernelSize - phase) / stride)) };
}

/** The "phases" variant: one dispatch of conv2d_input_grad_phases per (row phase, column phase) class. */
function inputGradByPhases(g: Geometry, buffers: Record<string, GPUBuffer>, hasBias: boolean, workgroup: number, quad: boolean): void {
  const constants = geometryConstants(g, hasBias);
  for (let phy = 0; phy < g.SY; phy++) {
    const rows = phaseClass(phy, g.PY, g.SY, g.H, g.KH);
    for (let phx = 0; phx < g.SX; phx++) {
      const cols = phaseClass(phx, g.PX, g.SX, g.W, g.KW);
      const positions = (rows.end - rows.start) * (cols.end - cols.start);
      if (positions === 0) continue;
      const phase = { PHY: phy, PHX: phx, J0: rows.start, J1: rows.end, I0: cols.start, I1: cols.end, TY: rows.taps, TX: cols.taps };
      launchBlock("conv2d_input_grad_phases", { ...constants, ...phase }, buffers, positions * outputBlocks(g.N, g.Ci, quad), workgroup, quad);
    }
  }
}

/** The "gemm" variant: dcols = wᵀ·dy by the product kernel, then col2im sums each input pixel's taps. */
function inputGradByGemm(g: Geometry, dy: Tensor, w: Tensor, b: Tensor | null, dx: Tensor, op: TensorName): void {
  // dcols_n [R, P] = wᵀ [R, Co] · dy_n [Co, P], then col2im sums each input pixel's taps.
  const R = g.Ci * g.KH * g.KW;
  const P = g.Ho * g.Wo;
  const dcols = empty([g.N, R, P], `${op}_cols`);
  if (P >= BLOCK) {
    gemm({
      m: R, n: P, depth: g.Co, batches: g.N,
      a: { buffer: w.buffer, row: 1, depth: R }, // wᵀ: row r, depth co
      b: { buffer: dy.buffer, batch: g.Co * P, col: 1, depth: P },
      c: { buffer: dcols.buffer, batch: R * P, row: P, col: 1 },
    });
  } else {
    // One product per pixel p: dcols[:, :, p] [N, R] = dy[:, :, p] [N, Co] · w [Co, R].
    gemm({
      m: g.N, n: R, depth: g.Co, batches: P,
      a: { buffer: dy.buffer, batch: 1, row: g.Co * P, depth: P },
      b: { buffer: w.buffer, col: 1, depth: R },
      c: { buffer: dcols.buffer, batch: 1, row: R * P, col: P },
    });
  }
  launch("col2im", { dcols: dcols.buffer, bias: (b ?? w).buffer, dx: dx.buffer }, geometryConstants(g, b !== null), g.N * g.Ci * g.H);
  dcols.dispose(); // safe: the pool reuses it only after the recorded dispatches are submitted
}

/**
 * dw [Co, Ci, KH, KW] = Σ over n, p of dy[n, co, p] · cols[n, r, p]: an implicit
 * GEMM whose depth runs over images and pixels. When that gives too few blocks
 * to fill the machine (the one-input-channel first layer: R = 16), the images
 * are split into groups, one partial sum each, that sum_chunks adds up.
 */
function convWeightGrad(g: Geometry, x: Tensor, dy: Tensor, op: TensorName): Tensor {
  const inputs = [[g.N, g.Ci, g.H, g.W], [g.N, g.Co, g.Ho, g.Wo]];
  const variant = pickVariant("conv2d_weight_grad", g, convKernelVariants("conv2d_weight_grad"), inputs, (v, tx, tdy) => convWeightGradBy(v, g, tx, tdy, op));
  return convWeightGradBy(variant, g, x, dy, op);
}

function convWeightGradBy(variant: string, g: Geometry, x: Tensor, dy: Tensor, op: TensorName): Tensor {
  const weights = g.Co * g.Ci * g.KH * g.KW;
  if (variant === "tile") {
    const t = weightGradTileKernel(g, WEIGHT_GRAD_TARGET_INVOCATIONS);
    return summedOverChunks(empty([g.Co, g.Ci, g.KH, g.KW], op), weights, t.chunks, op, (partial) =>
      launchTile(t, g, { x: x.buffer, dy: dy.buffer, partial: partial.buffer }));
  }
  const quad = isQuad(variant);
  const perGroupBlocks = outputBlocks(g.Co, g.Ci * g.KH * g.KW, quad);
  // Images per group: the largest divisor of N that leaves at least the wanted number of groups.
  const wantedGroups = Math.max(1, Math.min(g.N, Math.ceil(WEIGHT_GRAD_TARGET_INVOCATIONS / perGroupBlocks)));
  let perGroup = Math.max(1, Math.floor(g.N / wantedGroups));
  while (g.N % perGroup !== 0) perGroup--;
  const groups = Math.max(1, g.N / perGroup);
  return summedOverChunks(empty([g.Co, g.Ci, g.KH, g.KW], op), weights, groups, op, (partial) => {
    launchBlock("conv2d_weight_grad", { ...geometryConstants(g, false), IMAGES_PER_GROUP: perGroup }, { x: x.buffer, dy: dy.buffer, partial: partial.buffer },
      perGroupBlocks * groups, WORKGROUP, quad);
  });
}

/** db [C] = sum of dy [N, C, H, W] over N, H and W. */
function biasGrad(dy: Tensor, op: TensorName): Tensor {
  const [N, C, H, W] = dy.shape;
  const perChannel = N * H * W;
  const chunks = Math.max(1, Math.ceil(perChannel / BIAS_GRAD_CHUNK));
  return summedOverChunks(empty([C], op), C, chunks, op, (partial) => {
    const params = { COUNT: C, CHUNKS: chunks, CHUNK_LEN: BIAS_GRAD_CHUNK, PLANE: H * W, BATCH: N };
    launch("conv_bias_grad", { dy: dy.buffer, partial: partial.buffer }, params, C * chunks);
  });
}

const sumChunksSource = laneVariants("sum_chunks.wgsl", sumChunksWgsl);

/**
 * `fill` writes `chunks` partial sums of `count` values each; sum_chunks adds
 * them into `total`. With one chunk, `fill` writes `total` itself.
 */
function summedOverChunks(total: Tensor, count: number, chunks: number, op: TensorName, fill: (partial: Tensor) => void): Tensor {
  const partial = chunks > 1 ? empty([chunks, count], `${op}_partial`) : total;
  fill(partial);
  if (partial !== total) {
    const lanes = lanesFor(count);
    const k = laneKernel(sumChunksSource, lanes, "sum_chunks", { COUNT: count / lanes, CHUNKS: chunks });
    launchElementwise(k, { partial: partial.buffer, total: total.buffer }, {}, count / lanes);
    partial.dispose(); // safe: the pool reuses it only after the recorded dispatches are submitted
  }
  return total;
}

// ---------------------------------------------------------------------------
// Argument checks: every shape error is thrown before anything is dispatched.

function pair(op: string, name: string, value: number | readonly [number, number], min: number): [number, number] {
  const [a, b] = typeof value === "number" ? [value, value] : value;
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < min || b < min) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [a, b];
}

function checkRank4(op: string, what: string, layout: string, t: Tensor): void {
  if (t.shape.length !== 4) throw new Error(`${op}: ${what} must be 4-D ${layout}, got shape ${shapeString(t.shape)}`);
}

function checkBias(op: string, b: Tensor | null | undefined, channels: number, w: Tensor): void {
  if (b && (b.shape.length !== 1 || b.shape[0] !== channels)) {
    throw new Error(`${op}: bias must have shape [${channels}] (one per output channel of weight ${shapeString(w.shape)}), got ${shapeString(b.shape)}`);
  }
}

function checkNonEmpty(op: string, x: Tensor, w: Tensor): void {
  if (x.shape.slice(1).some((d) => d === 0) || w.shape.some((d) => d === 0)) {
    throw new Error(`${op}: input ${shapeString(x.shape)} and weight ${shapeString(w.shape)} must not have empty channel or spatial dimensions`);
  }
}

// ---------------------------------------------------------------------------
// The ops.

/**
 * 2-D convolution as torch.nn.functional.conv2d (cross-correlation, NCHW):
 * x [N, Cin, H, W], w [Cout, Cin, kH, kW], b [Cout] optional ->
 * [N, Cout, floor((H + 2 py - kH) / sy) + 1, floor((W + 2 px - kW) / sx) + 1].
 */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, options: ConvOptions = {}): Tensor {
  const op = "conv2d";
  checkRank4(op, "input", "[N, Cin, H, W]", x);
  checkRank4(op, "weight", "[Cout, Cin, kH, kW]", w);
  checkNonEmpty(op, x, w);
  const [N, Ci, H, W] = x.shape;
  const [Co, wCi, KH, KW] = w.shape;
  if (Ci !== wCi) {
    throw new Error(`${op}: input ${shapeString(x.shape)} has ${Ci} channels but weight ${shapeString(w.shape)} expects ${wCi}`);
  }
  checkBias(op, b, Co, w);
  const [SY, SX] = pair(op, "stride", options.stride ?? 1, 1);
  const [PY, PX] = pair(op, "padding", options.padding ?? 0, 0);
  if (H + 2 * PY < KH || W + 2 * PX < KW) {
    throw new Error(
      `${op}: kernel ${KH}x${KW} is larger than the padded input ${H + 2 * PY}x${W + 2 * PX} ` +
        `(input ${shapeString(x.shape)}, weight ${shapeString(w.shape)}, padding [${PY}, ${PX}])`,
    );
  }
  const Ho = Math.floor((H + 2 * PY - KH) / SY) + 1;
  const Wo = Math.floor((W + 2 * PX - KW) / SX) + 1;
  const g: Geometry = { N, Ci, H, W, Co, Ho, Wo, KH, KW, SY, SX, PY, PX };

  const bias = b ?? null;
  const y = convForward(g, x, w, bias, op);
  return record(op, bias ? [x, w, bias] : [x, w], y, (dy) => [
    x.requiresGrad ? convInputGrad(g, dy, w, null, `${op}_input_grad`) : null,
    w.requiresGrad ? convWeightGrad(g, x, dy, `${op}_weight_grad`) : null,
    bias?.requiresGrad ? biasGrad(dy, `${op}_bias_grad`) : null,
  ]);
}

/**
 * Transposed 2-D convolution as torch.nn.functional.conv_transpose2d (no
 * output_padding, groups or dilation): x [N, Cin, H, W], w [Cin, Cout, kH, kW],
 * b [Cout] optional -> [N, Cout, (H - 1) sy - 2 py + kH, (W - 1) sx - 2 px + kW].
 */
export function convTranspose2d(x: Tensor, w: Tensor, b?: Tensor | null, options: ConvOptions = {}): Tensor {
  const op = "convTranspose2d";
  checkRank4(op, "input", "[N, Cin, H, W]", x);
  checkRank4(op, "weight", "[Cin, Cout, kH, kW]", w);
  checkNonEmpty(op, x, w);
  const [N, Cin, H, W] = x.shape;
  const [wCin, Cout, KH, KW] = w.shape;
  if (Cin !== wCin) {
    throw new Error(`${op}: input ${shapeString(x.shape)} has ${Cin} channels but weight ${shapeString(w.shape)} expects ${wCin}`);
  }
  checkBias(op, b, Cout, w);
  const [SY, SX] = pair(op, "stride", options.stride ?? 1, 1);
  const [PY, PX] = pair(op, "padding", options.padding ?? 0, 0);
  const Hout = (H - 1) * SY - 2 * PY + KH;
  const Wout = (W - 1) * SX - 2 * PX + KW;
  if (Hout < 1 || Wout < 1) {
    throw new Error(
      `${op}: output would be ${Hout}x${Wout}: padding [${PY}, ${PX}] is too large ` +
        `for input ${shapeString(x.shape)}, weight ${shapeString(w.shape)} and stride [${SY}, ${SX}]`,
    );
  }
  // The conv2d this transposes: its input is our output, its output is our input.
  const g: Geometry = { N, Ci: Cout, H: Hout, W: Wout, Co: Cin, Ho: H, Wo: W, KH, KW, SY, SX, PY, PX };

  const bias = b ?? null;
  const y = convInputGrad(g, x, w, bias, op);
  return record(op, bias ? [x, w, bias] : [x, w], y, (dy) => [
    x.requiresGrad ? convForward(g, dy, w, null, `${op}_input_grad`) : null,
    w.requiresGrad ? convWeightGrad(g, dy, x, `${op}_weight_grad`) : null,
    bias?.requiresGrad ? biasGrad(dy, `${op}_bias_grad`) : null,
  ]);
}
