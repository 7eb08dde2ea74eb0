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
/** Input gradient: a larger tile, and its channels per invocation are the variant's (1, 2 or 4: "tile", "tile2", "tile4"). */
const INPUT_GRAD_TILE = 8;
/**
 * Multiply-adds written out per trip of the channel loop; a tile that would
 * need more is shrunk (channels first), which bounds the source and its
 * compile time for layers with large kernels.
 */
const MAX_TERMS = 4096;

/** Weight gradient: a tile of up to WEIGHT_GRAD_TILE x WEIGHT_GRAD_TILE output positions and WEIGHT_GRAD_CHANNELS channels a step. */
const WEIGHT_GRAD_TILE = 4;
const WEIGHT_GRAD_CHANNELS = 8;

export interface TileKernel {
  entry: "conv2d_forward_tile" | "conv2d_input_grad_tile" | "conv2d_weight_grad_tile";
  source: string;
  /** The tile (rows, columns) and output channels an invocation computes; the weight gradient's tiles per chunk. */
  constants: { TY: number; TX: number; CB: number; TILES?: number };
  invocations: number;
  /** The weight gradient's partial sums (one per chunk of tiles); 1 for the other passes. */
  chunks: number;
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

/**
 * conv2d_weight_grad_tile for geometry g, its tiles split into chunks until
 * about `targetInvocations` invocations run.
 */
export function weightGradTileKernel(g: TileGeometry, targetInvocations: number): TileKernel {
  return memo(`${keyOf("weight_grad", g, false)} ${targetInvocations}`, () => generateWeightGrad(g, targetInvocations));
}

/** conv2d_forward_tile for geometry g. */
export function forwardTileKernel(g: TileGeometry, hasBias: boolean): TileKernel {
  return memo(keyOf("forward", g, hasBias), () => generateForward(g, hasBias));
}

/** conv2d_input_grad_tile for geometry g, `channels` input channels an invocation. */
export function inputGradTileKernel(g: TileGeometry, hasBias: boolean, channels: number): TileKernel {
  return memo(`${keyOf("input_grad", g, hasBias)} ${channels}`, () => generateInputGrad(g, hasBias, channels));
}

/** Where the rows and columns of a patch of x start (`top`, `left`: its first, maybe in the padding), and whether each is inside x. */
const patchRowsAndColumns = (rows: number, cols: number) => [
  ...range(rows).map((r) => `let row${r} = u32(clamp(top + ${r}, 0, i32(H) - 1)) * W; let in_row${r} = top + ${r} >= 0 && top + ${r} < i32(H);`),
  ...range(cols).map((c) => `let col${c} = u32(clamp(left + ${c}, 0, i32(W) - 1)); let in_col${c} = left + ${c} >= 0 && left + ${c} < i32(W);`),
];
/** The patch of x's channel plane `plane`, one load per value, 0 in the padding. */
const patchLoads = (rows: number, cols: number) =>
  range(rows).flatMap((r) => range(cols).map((c) => `let p${r}_${c} = select(0.0, x[plane + row${r} + col${c}], in_row${r} && in_col${c});`));

/**
 * A tile of up to `size` x `size` output positions and `channels` output
 * channels (fitted to MAX_TERMS), the input patch its windows cover, and its
 * positions (row, column), as the forward and the weight gradient use it.
 */
function outputTile(g: TileGeometry, size: number, channels: number) {
  const [TY, TX, CB] = fitTerms([Math.min(size, g.Ho), Math.min(size, g.Wo), Math.min(channels, g.Co)], g.KH * g.KW);
  const patchRows = (TY - 1) * g.SY + g.KH;
  const patchCols = (TX - 1) * g.SX + g.KW;
  const positions = range(TY).flatMap((ty) => range(TX).map((tx) => [ty, tx] as const));
  return { TY, TX, CB, patchRows, patchCols, positions };
}

function generateForward(g: TileGeometry, hasBias: boolean): TileKernel {
  const taps = g.KH * g.KW;
  const { TY, TX, CB, patchRows, patchCols, positions: outputs } = outputTile(g, FORWARD_TILE, FORWARD_CHANNELS);
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
    forward_rows_and_columns: patchRowsAndColumns(patchRows, patchCols),
    forward_weight_rows: range(CB).map((c) => `let wrow${c} = min(co0 + ${c}u, Co - 1u) * Ci * KH * KW;`),
    forward_accumulators: outputs.flatMap(([ty, tx]) => range(CB).map((c) => `var ${acc(ty, tx, c)} = 0.0;`)),
    forward_patch: patchLoads(patchRows, patchCols),
    forward_weights: range(CB).flatMap((c) => range(taps).map((t) => `let w${c}_${t} = w[wrow${c} + tap0 + ${t}u];`)),
    forward_multiply_add: outputs.flatMap(([ty, tx]) => range(CB).map((c) => {
      const terms = range(g.KH).flatMap((ky) => range(g.KW).map((kx) => `p${ty * g.SY + ky}_${tx * g.SX + kx} * w${c}_${ky * g.KW + kx}`));
      return `${acc(ty, tx, c)} += ${terms.join(" + ")};`;
    })),
    forward_store: store,
  });
  const invocations = g.N * ceilDiv(g.Co, CB) * ceilDiv(g.Ho, TY) * ceilDiv(g.Wo, TX);
  return { entry: "conv2d_forward_tile", source, constants: { TY, TX, CB }, invocations, chunks: 1 };
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

function generateInputGrad(g: TileGeometry, hasBias: boolean, channels: number): TileKernel {
  // The tile starts on a multiple of the stride, so each position's taps are known here.
  const side = (extent: number, stride: number) => stride * Math.max(1, Math.floor(Math.min(INPUT_GRAD_TILE, extent + stride - 1) / stride));
  const tapsPerOutput = Math.ceil(g.KH / g.SY) * Math.ceil(g.KW / g.SX);
  let [TY, TX, CB] = fitTerms([side(g.H, g.SY), side(g.W, g.SX), Math.min(channels, g.Ci)], tapsPerOutput);
  TY = g.SY * Math.max(1, Math.floor(TY / g.SY));
  TX = g.SX * Math.max(1, Math.floor(TX / g.SX));
  const rows = phaseTaps(TY, g.PY, g.SY, g.KH);
  const cols = phaseTaps(TX, g.PX, g.SX, g.KW);
  const name = (d: number) => (d < 0 ? `m${-d}` : `${d}`); // a dy offset as part of a name
  const outputs = range(TY).flatMap((t) => range(TX).map((s) => [t, s] as const));
  const block = range(CB);
  const acc = (c: number, t: number, s: number) => `a${c}_${t}_${s}`;

  const store: string[] = block.map((c) => (hasBias ? `let b${c} = bias[ci${c}];` : `let b${c} = 0.0;`));
  for (const c of block) {
    for (const [t, s] of outputs) {
      const guards = [...(g.Ci % CB ? [`ci_first + ${c}u < Ci`] : []), ...(g.H % TY ? [`iy0 + ${t}u < H`] : []), ...(g.W % TX ? [`ix0 + ${s}u < W`] : [])];
      const write = `dx[((n * Ci + ci_first + ${c}u) * H + iy0 + ${t}u) * W + ix0 + ${s}u] = ${acc(c, t, s)} + b${c};`;
      store.push(guards.length ? `if (${guards.join(" && ")}) { ${write} }` : write);
    }
  }

  const source = fill("conv2d_input_grad_tile", {
    input_grad_rows_and_columns: [
      ...rows.offsets.map((d) => `let row${name(d)} = u32(clamp(oy_base + ${d}, 0, i32(Ho) - 1)) * Wo; let in_row${name(d)} = oy_base + ${d} >= 0 && oy_base + ${d} < i32(Ho);`),
      ...cols.offsets.map((d) => `let col${name(d)} = u32(clamp(ox_base + ${d}, 0, i32(Wo) - 1)); let in_col${name(d)} = ox_base + ${d} >= 0 && ox_base + ${d} < i32(Wo);`),
    ],
    input_grad_channels: block.map((c) => `let ci${c} = min(ci_first + ${c}u, Ci - 1u);`),
    input_grad_accumulators: block.flatMap((c) => outputs.map(([t, s]) => `var ${acc(c, t, s)} = 0.0;`)),
    input_grad_patch: rows.offsets.flatMap((r) =>
      cols.offsets.map((c) => `let p${name(r)}_${name(c)} = select(0.0, dy[plane + row${name(r)} + col${name(c)}], in_row${name(r)} && in_col${name(c)});`)),
    input_grad_weights: block.flatMap((c) => range(g.KH * g.KW).map((k) => `let w${c}_${k} = w[taps + ci${c} * KH * KW + ${k}u];`)),
    input_grad_multiply_add: block.flatMap((c) => outputs.flatMap(([t, s]) => {
      const terms = rows.perOffset[t].flatMap((r) => cols.perOffset[s].map((col) => `p${name(r.d)}_${name(col.d)} * w${c}_${r.k * g.KW + col.k}`));
      return terms.length ? [`${acc(c, t, s)} += ${terms.join(" + ")};`] : [];
    })),
    input_grad_store: store,
  });
  const invocations = g.N * ceilDiv(g.Ci, CB) * ceilDiv(g.H, TY) * ceilDiv(g.W, TX);
  return { entry: "conv2d_input_grad_tile", source, constants: { TY, TX, CB }, invocations, chunks: 1 };
}

function generateWeightGrad(g: TileGeometry, targetInvocations: number): TileKernel {
  const { TY, TX, CB, patchRows, patchCols, positions } = outputTile(g, WEIGHT_GRAD_TILE, WEIGHT_GRAD_CHANNELS);
  const channels = range(CB);
  const tapList = range(g.KH).flatMap((ky) => range(g.KW).map((kx) => [ky, kx] as const));
  const acc = (c: number, ky: number, kx: number) => `a${c}_${ky * g.KW + kx}`;
  // Positions past the output's edge (a partial tile) read as 0.
  const guard = (ty: number, tx: number) => [
    ...(g.Ho % TY ? [`oy0 + ${ty}u < Ho`] : []),
    ...(g.Wo % TX ? [`ox0 + ${tx}u < Wo`] : []),
  ];

  // Chunks of tiles: enough that about targetInvocations run, each a partial sum.
  const tiles = g.N * ceilDiv(g.Ho, TY) * ceilDiv(g.Wo, TX);
  const perChunk = ceilDiv(g.Co, CB) * g.Ci;
  const TILES = ceilDiv(tiles, Math.max(1, Math.min(tiles, ceilDiv(targetInvocations, perChunk))));
  const chunks = ceilDiv(tiles, TILES);

  const store = channels.flatMap((c) => {
    const writes = [
      `let o${c} = ((chunk * Co + co0 + ${c}u) * Ci + ci) * KH * KW;`,
      ...tapList.map(([ky, kx]) => `partial[o${c} + ${ky * g.KW + kx}u] = ${acc(c, ky, kx)};`),
    ];
    return g.Co % CB ? [`if (co0 + ${c}u < Co) {`, ...writes.map((l) => `  ${l}`), "}"] : writes;
  });

  const source = fill("conv2d_weight_grad_tile", {
    weight_grad_channel_planes: channels.map((c) => `let dy_plane${c} = min(co0 + ${c}u, Co - 1u) * Ho * Wo; // a channel past Co reads the last one; it is not stored`),
    weight_grad_accumulators: channels.flatMap((c) => tapList.map(([ky, kx]) => `var ${acc(c, ky, kx)} = 0.0;`)),
    weight_grad_rows_and_columns: patchRowsAndColumns(patchRows, patchCols),
    weight_grad_patch: patchLoads(patchRows, patchCols),
    weight_grad_dy: channels.flatMap((c) => positions.map(([ty, tx]) => {
      const load = `dy[dy_image + dy_plane${c} + ${ty * g.Wo + tx}u]`;
      const inside = guard(ty, tx);
      return `let d${c}_${ty}_${tx} = ${inside.length ? `select(0.0, ${load}, ${inside.join(" && ")})` : load};`;
    })),
    weight_grad_multiply_add: channels.flatMap((c) => tapList.map(([ky, kx]) => {
      const terms = positions.map(([ty, tx]) => `d${c}_${ty}_${tx} * p${ty * g.SY + ky}_${tx * g.SX + kx}`);
      return `${acc(c, ky, kx)} += ${terms.join(" + ")};`;
    })),
    weight_grad_store: store,
  });
  return { entry: "conv2d_weight_grad_tile", source, constants: { TY, TX, CB, TILES }, invocations: chunks * perChunk, chunks };
}
