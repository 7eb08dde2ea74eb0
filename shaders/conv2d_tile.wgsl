// Tile kernels: a convolution pass as a tile of neighbouring positions per
// invocation, which shares its loads between the tile's overlapping windows.
// They began with the layers the block kernels (8 or 16 channels a block)
// leave mostly empty, OCGAN's one-channel image layers, and are timed as
// candidates on every layer (src/ops/conv.ts).
// src/ops/conv-tile.ts generates the lines marked `//@ name` for one layer
// shape and keeps the one entry point asked for (each is a section below,
// after the shared declarations); everything else here is as it runs.
//
// Same geometry as conv2d.wgsl (one conv2d):
//     x [N, Ci, H, W]  --  w [Co, Ci, KH, KW], stride (SY, SX), padding (PY, PX)  -->  y [N, Co, Ho, Wo]
//
//   conv2d_forward_tile     y from x and w (+ bias[co]): one image, a TY x TX
//                           tile of output positions and CB output channels
//                           per invocation; the input channels are the loop
//   conv2d_input_grad_tile  dx from dy and w (+ bias[ci]), the transposed
//                           convolution: one image, CB input channels and a
//                           TY x TX tile of input positions per invocation;
//                           the output channels are the loop
//   conv2d_weight_grad_tile dw from x and dy: one input channel and CB output
//                           channels, every tap, per invocation, summed over
//                           a chunk of TILES output tiles (TY x TX positions
//                           of one image); one partial sum per chunk, which
//                           sum_chunks (sum_chunks.wgsl) adds up
//
// Why a tile: on SwiftShader every load at a run-time index is a per-lane
// gather, worth about twenty multiply-adds (bench/block-probes.ts). Windows of
// neighbouring outputs overlap, so the tile loads its patch of input once (one
// load per value, named `p<row>_<col>`) and every output of the tile takes its
// taps from the patch: with a 4x4 tile of a 4x4 stride-2 conv, 100 loads serve
// 256 multiply-adds per channel, where one window alone needs 16 loads for 16.
// The taps are unrolled with constant patch names, so nothing is indexed at
// run time but the loads themselves. In the input gradient only the taps whose
// phase matches reach an input position (ky ≡ iy + PY mod SY); the tile starts
// on a multiple of the stride, so which taps those are, and which row of dy
// each one reads, are known when the source is generated. The weight
// gradient takes its taps from the same kind of patch: every tap of every
// channel is a sum over the tile's positions of dy times a patch value.

override N: u32;
override Ci: u32;
override H: u32;
override W: u32;
override Co: u32;
override Ho: u32;
override Wo: u32;
override KH: u32;
override KW: u32;
override SY: u32;
override SX: u32;
override PY: u32;
override PX: u32;
override TY: u32;       // tile rows (the generated lines spell these three out too)
override TX: u32;       // tile columns
override CB: u32 = 1u;  // channels per invocation: output channels (forward, weight gradient), input channels (input gradient)
override TILES: u32 = 1u;  // conv2d_weight_grad_tile: output tiles summed per invocation (a chunk)

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;

fn invocation(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

// ---------------------------------------------------------------------------
// Invocation order: tile column fastest, then tile row, channel block, image.
@compute @workgroup_size(64)
fn conv2d_forward_tile(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let tiles_x = (Wo + TX - 1u) / TX;
  let tiles_y = (Ho + TY - 1u) / TY;
  let blocks = (Co + CB - 1u) / CB;
  let i = invocation(gid, nwg);
  if (i >= N * blocks * tiles_y * tiles_x) { return; }
  let ox0 = (i % tiles_x) * TX;
  let oy0 = ((i / tiles_x) % tiles_y) * TY;
  let co0 = ((i / (tiles_x * tiles_y)) % blocks) * CB;
  let n = i / (tiles_x * tiles_y * blocks);
  // The patch's first input row and column (negative inside the padding).
  let top = i32(oy0 * SY) - i32(PY);
  let left = i32(ox0 * SX) - i32(PX);
  //@ forward_rows_and_columns
  // Where each of the CB channels' weights start (a channel past Co reads the last one; it is not stored).
  //@ forward_weight_rows
  //@ forward_accumulators
  for (var ci = 0u; ci < Ci; ci++) {
    let plane = (n * Ci + ci) * H * W;
    let tap0 = ci * KH * KW;
    //@ forward_patch
    //@ forward_weights
    //@ forward_multiply_add
  }
  //@ forward_store
}

// ---------------------------------------------------------------------------
// Invocation order: tile column fastest, then tile row, input channel, image.
@compute @workgroup_size(64)
fn conv2d_input_grad_tile(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let tiles_x = (W + TX - 1u) / TX;
  let tiles_y = (H + TY - 1u) / TY;
  let blocks = (Ci + CB - 1u) / CB;
  let i = invocation(gid, nwg);
  if (i >= N * blocks * tiles_y * tiles_x) { return; }
  let ix0 = (i % tiles_x) * TX;
  let iy0 = ((i / tiles_x) % tiles_y) * TY;
  let ci_first = ((i / (tiles_x * tiles_y)) % blocks) * CB;
  let n = i / (tiles_x * tiles_y * blocks);
  // Tile rows iy0 + t with (t + PY - ky) a multiple of SY read dy row (iy0 + t + PY - ky) / SY = oy_base + (t + PY - ky) / SY.
  let oy_base = i32(iy0 / SY);
  let ox_base = i32(ix0 / SX);
  //@ input_grad_rows_and_columns
  // The CB channels (a channel past Ci reads the last one; it is not stored).
  //@ input_grad_channels
  //@ input_grad_accumulators
  for (var co = 0u; co < Co; co++) {
    let plane = (n * Co + co) * Ho * Wo;
    let taps = co * Ci * KH * KW;
    //@ input_grad_patch
    //@ input_grad_weights
    //@ input_grad_multiply_add
  }
  //@ input_grad_store
}

// ---------------------------------------------------------------------------
// Invocation order: input channel fastest, then channel block, chunk. Tiles
// are numbered with the tile column fastest, then tile row, image; chunk k
// sums tiles k * TILES up to (k + 1) * TILES (the last chunk may hold fewer).
@compute @workgroup_size(64)
fn conv2d_weight_grad_tile(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let tiles_x = (Wo + TX - 1u) / TX;
  let tiles_y = (Ho + TY - 1u) / TY;
  let tiles = N * tiles_y * tiles_x;
  let chunks = (tiles + TILES - 1u) / TILES;
  let blocks = (Co + CB - 1u) / CB;
  let i = invocation(gid, nwg);
  if (i >= chunks * blocks * Ci) { return; }
  let ci = i % Ci;
  let co0 = ((i / Ci) % blocks) * CB;
  let chunk = i / (Ci * blocks);
  //@ weight_grad_channel_planes
  //@ weight_grad_accumulators
  for (var t = chunk * TILES; t < min(tiles, (chunk + 1u) * TILES); t++) {
    let ox0 = (t % tiles_x) * TX;
    let oy0 = ((t / tiles_x) % tiles_y) * TY;
    let n = t / (tiles_x * tiles_y);
    let plane = (n * Ci + ci) * H * W;
    let dy_image = n * Co * Ho * Wo + oy0 * Wo + ox0;
    // The patch's first input row and column (negative inside the padding).
    let top = i32(oy0 * SY) - i32(PY);
    let left = i32(ox0 * SX) - i32(PX);
    //@ weight_grad_rows_and_columns
    //@ weight_grad_patch
    //@ weight_grad_dy
    //@ weight_grad_multiply_add
  }
  //@ weight_grad_store
}
