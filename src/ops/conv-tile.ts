// The tile kernels' source for one layer shape: shaders/conv2d_tile.wgsl with
// its `//@ name` lines written out (the patch loads, the weights, every
// multiply-add of the tile with constant names) and only the entry point
// asked for kept. The template says why tiles and how they run; this file
// only decides the tile's size and spells the unrolled lines.
import tileWgsl from "../../shaders/conv2d_tile.wgsl";

/** One conv2d's shape, as conv.ts describes it (x [N, Ci, H, W] * w [Co, Ci, KH, KW] -> y [N, Co, Ho, Wo]). */
export interface TileGeometry {
  N: number; Ci: number; H: number; W: number;
  Co: number; Ho: number; Wo: number;
  KH: number; KW: number;
  SY: number; SX: number; PY: number; PX: number;
}

/** Forward: a tile of up to FORWARD_TILE x FORWARD_TILE output positions and FORWARD_CHANNELS channels an invocation. */
const FORWARD_TILE = 4;
const FORWARD_CHANNELS = 8;
/** Input gradient: one channel an invocation, so a larger tile (its accumulators are one per position). */
const INPUT_GRAD_TILE = 8;
/**
 * Multiply-adds written out per trip of the channel loop; a tile that would
 * need more is shrunk (channels first), which bounds the source and its
 * compile time for layers with large kernels.
 */
const MAX_TERMS = 4096;

export interface TileKernel {
  entry: "conv2d_forward_tile" | "conv2d_input_grad_tile";
  source: string;
  /** The tile (rows, columns) and output channels an invocation computes. */
  constants: { TY: number; TX: number; CB: number };
  invocations: number;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const ceilDiv = (a: number, b: number) => Math.ceil(a / b);
const mod = (a: number, m: number) => ((a % m) + m) % m;

/** The template with `lines[name]` in place of each `//@ name` line and only `entry`'s section kept. */
function fill(entry: TileKernel["entry"], lines: Record<string, string[]>): string {
  const sections = tileWgsl.split(/^\/\/ -{20,}\n/m); // shared declarations, then one section per entry point
  const kept = sections.find((s) => s.includes(`fn ${entry}(`));
  if (!kept) throw new Error(`conv2d_tile.wgsl has no entry point ${entry}`);
  const body = kept.replace(/^( *)\/\/@ (\w+)$/gm, (_, indent: string, name: string) => {
    const generated = lines[name];
    if (!generated) throw new Error(`conv2d_tile.wgsl: nothing generates //@ ${name} of ${entry}`);
    return generated.map((l) => indent + l).join("\n");
  });
  return `${sections[0]}// ${"-".repeat(75)}\n${body}`;
}

/** Shrinks [rows, cols, channels] (channels first, then the longer side) until the terms fit MAX_TERMS. */
function fitTerms(tile: [number, number, number], tapsPerOutput: number): [number, number, number] {
  let [ty, tx, cb] = tile;
  while (ty * tx * cb * tapsPerOutput > MAX_TERMS && ty * tx * cb > 1) {
    if (cb > 1) cb = Math.ceil(cb / 2);
    else if (ty >= tx) ty = Math.ceil(ty / 2);
    else tx = Math.ceil(tx / 2);
  }
  return [ty, tx, cb];
}

/** Each shape's kernel, generated once (a launch per dispatch then finds it here). */
const generated = new Map<string, TileKernel>();
function memo(key: string, make: () => TileKernel): TileKernel {
  let k = generated.get(key);
  if (!k) generated.set(key, (k = make()));
  return k;
}
const keyOf = (entry: string, g: TileGeometry, hasBias: boolean) => `${entry} ${Object.values(g).join(",")} ${hasBias}`;

/** conv2d_forward_tile for geometry g. */
export function forwardTileKernel(g: TileGeometry, hasBias: boolean): TileKernel {
  return memo(keyOf("forward", g, hasBias), () => generateForward(g, hasBias));
}

/** conv2d_input_grad_tile for geometry g. */
export function inputGradTileKernel(g: TileGeometry, hasBias: boolean): TileKernel {
  return memo(keyOf("input_grad", g, hasBias), () => generateInputGrad(g, hasBias));
}

function generateForward(g: TileGeometry, hasBias: boolean): TileKernel {
  const taps = g.KH * g.KW;
  const [TY, TX, CB] = fitTerms([Math.min(FORWARD_TILE, g.Ho), Math.min(FORWARD_TILE, g.Wo), Math.min(FORWARD_CHANNELS, g.Co)], taps);
  const patchRows = (TY - 1) * g.SY + g.KH;
  const patchCols = (TX - 1) * g.SX + g.KW;
  const outputs = range(TY).flatMap((ty) => range(TX).map((tx) => [ty, tx] as const));
  const acc = (ty: number, tx: number, c: number) => `a${ty}_${tx}_${c}`;

  const store: string[] = [];
  for (const c of range(CB)) {
    store.push(hasBias ? `let b${c} = bias[min(co0 + ${c}u, Co - 1u)];` : `let b${c} = 0.0;`);
  }
  for (const [ty, tx] of outputs) {
    const guards = [
      ...(g.Ho % TY ? [`oy0 + ${ty}u < Ho`] : []),
      ...(g.Wo % TX ? [`ox0 + ${tx}u < Wo`] : []),
    ];
    const open = guards.length ? `if (${guards.join(" && ")}) {` : "{";
    store.push(open, `  let o = (n * Co + co0) * Ho * Wo + (oy0 + ${ty}u) * Wo + ox0 + ${tx}u;`);
    for (const c of range(CB)) {
      const write = `y[o + ${c * g.Ho * g.Wo}u] = ${acc(ty, tx, c)} + b${c};`;
      store.push(g.Co % CB ? `  if (co0 + ${c}u < Co) { ${write} }` : `  ${write}`);
    }
    store.push("}");
  }

  const source = fill("conv2d_forward_tile", {
    forward_rows_and_columns: [
      ...range(patchRows).map((r) => `let row${r} = u32(clamp(top + ${r}, 0, i32(H) - 1)) * W; let in_row${r} = top + ${r} >= 0 && top + ${r} < i32(H);`),
      ...range(patchCols).map((c) => `let col${c} = u32(clamp(left + ${c}, 0, i32(W) - 1)); let in_col${c} = left + ${c} >= 0 && left + ${c} < i32(W);`),
    ],
    forward_weight_rows: range(CB).map((c) => `let wrow${c} = min(co0 + ${c}u, Co - 1u) * Ci * KH * KW;`),
    forward_accumulators: outputs.flatMap(([ty, tx]) => range(CB).map((c) => `var ${acc(ty, tx, c)} = 0.0;`)),
    forward_patch: range(patchRows).flatMap((r) =>
      range(patchCols).map((c) => `let p${r}_${c} = select(0.0, x[plane + row${r} + col${c}], in_row${r} && in_col${c});`)),
    forward_weights: range(CB).flatMap((c) => range(taps).map((t) => `let w${c}_${t} = w[wrow${c} + tap0 + ${t}u];`)),
    forward_multiply_add: outputs.flatMap(([ty, tx]) => range(CB).map((c) => {
      const terms = range(g.KH).flatMap((ky) => range(g.KW).map((kx) => `p${ty * g.SY + ky}_${tx * g.SX + kx} * w${c}_${ky * g.KW + kx}`));
      return `${acc(ty, tx, c)} += ${terms.join(" + ")};`;
    })),
    forward_store: store,
  });
  const invocations = g.N * ceilDiv(g.Co, CB) * ceilDiv(g.Ho, TY) * ceilDiv(g.Wo, TX);
  return { entry: "conv2d_forward_tile", source, constants: { TY, TX, CB }, invocations };
}

/**
 * Along one axis of the input gradient: for each tile offset t < size, the
 * taps k whose phase matches, (t + pad - k) ≡ 0 mod stride, and the offset
 * d = (t + pad - k) / stride of the dy row (or column) each reads, relative
 * to the tile's first one.
 */
function phaseTaps(size: number, pad: number, stride: number, kernel: number) {
  const perOffset = range(size).map((t) => range(kernel).filter((k) => mod(t + pad - k, stride) === 0).map((k) => ({ k, d: (t + pad - k) / stride })));
  const offsets = [...new Set(perOffset.flat().map((x) => x.d))].sort((a, b) => a - b);
  return { perOffset, offsets };
}

function generateInputGrad(g: TileGeometry, hasBias: boolean): TileKernel {
  // The tile starts on a multiple of the stride, so each position's taps are known here.
  const side = (extent: number, stride: number) => stride * Math.max(1, Math.floor(Math.min(INPUT_GRAD_TILE, extent + stride - 1) / stride));
  const tapsPerOutput = Math.ceil(g.KH / g.SY) * Math.ceil(g.KW / g.SX);
  let [TY, TX] = fitTerms([side(g.H, g.SY), side(g.W, g.SX), 1], tapsPerOutput);
  TY = g.SY * Math.max(1, Math.floor(TY / g.SY));
  TX = g.SX * Math.max(1, Math.floor(TX / g.SX));
  const rows = phaseTaps(TY, g.PY, g.SY, g.KH);
  const cols = phaseTaps(TX, g.PX, g.SX, g.KW);
  const name = (d: number) => (d < 0 ? `m${-d}` : `${d}`); // a dy offset as part of a name
  const outputs = range(TY).flatMap((t) => range(TX).map((s) => [t, s] as const));

  const store: string[] = [hasBias ? "let b = bias[ci];" : "let b = 0.0;"];
  for (const [t, s] of outputs) {
    const guards = [...(g.H % TY ? [`iy0 + ${t}u < H`] : []), ...(g.W % TX ? [`ix0 + ${s}u < W`] : [])];
    const write = `dx[((n * Ci + ci) * H + iy0 + ${t}u) * W + ix0 + ${s}u] = a${t}_${s} + b;`;
    store.push(guards.length ? `if (${guards.join(" && ")}) { ${write} }` : write);
  }

  const source = fill("conv2d_input_grad_tile", {
    input_grad_rows_and_columns: [
      ...rows.offsets.map((d) => `let row${name(d)} = u32(clamp(oy_base + ${d}, 0, i32(Ho) - 1)) * Wo; let in_row${name(d)} = oy_base + ${d} >= 0 && oy_base + ${d} < i32(Ho);`),
      ...cols.offsets.map((d) => `let col${name(d)} = u32(clamp(ox_base + ${d}, 0, i32(Wo) - 1)); let in_col${name(d)} = ox_base + ${d} >= 0 && ox_base + ${d} < i32(Wo);`),
    ],
    input_grad_accumulators: outputs.map(([t, s]) => `var a${t}_${s} = 0.0;`),
    input_grad_patch: rows.offsets.flatMap((r) =>
      cols.offsets.map((c) => `let p${name(r)}_${name(c)} = select(0.0, dy[plane + row${name(r)} + col${name(c)}], in_row${name(r)} && in_col${name(c)});`)),
    input_grad_weights: range(g.KH * g.KW).map((k) => `let w${k} = w[taps + ${k}u];`),
    input_grad_multiply_add: outputs.flatMap(([t, s]) => {
      const terms = rows.perOffset[t].flatMap((r) => cols.perOffset[s].map((c) => `p${name(r.d)}_${name(c.d)} * w${r.k * g.KW + c.k}`));
      return terms.length ? [`a${t}_${s} += ${terms.join(" + ")};`] : [];
    }),
    input_grad_store: store,
  });
  const invocations = g.N * g.Ci * ceilDiv(g.H, TY) * ceilDiv(g.W, TX);
  return { entry: "conv2d_input_grad_tile", source, constants: { TY, TX, CB: 1 }, invocations };
}
