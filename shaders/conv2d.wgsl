// 2-D convolution (NCHW, PyTorch semantics) and its gradients. The entry
// points below give conv2d, convTranspose2d and the backward of both
// (src/ops/conv.ts chooses among them by shape).
//
// Every kernel here speaks about ONE conv2d geometry (struct ConvParams):
//     x [N, Ci, H, W]  --  w [Co, Ci, KH, KW], stride (SY, SX), padding (PY, PX)  -->  y [N, Co, Ho, Wo]
//     y[n, co, oy, ox] = Σ over ci, ky, kx of x[n, ci, oy*SY - PY + ky, ox*SX - PX + kx] · w[co, ci, ky, kx]
// With R = Ci·KH·KW taps r = (ci, ky, kx) and P = Ho·Wo output pixels p:
//   conv2d_forward            y from x and w (+ bias[co]): direct, a block of
//                             8 images x 4 channels at one position
//   conv2d_input_grad_direct  dx from dy and w (+ bias[ci]), the transposed
//                             convolution, direct: 8 images x 4 channels
//   col2im                    the same dx from dcols [N, R, P] = wᵀ · dy, a
//                             matrix product (matmul.wgsl) run before it
//   conv_bias_grad            the bias gradient, as partial sums per chunk of
//                             the batch (sum_chunks.wgsl adds them up)
// (the weight gradient, and the variants with the layer's shape baked in,
// are in conv2d_block.wgsl)
//
// Why blocks of outputs per invocation: SwiftShader runs invocations as SIMD
// lanes and every load at a run-time index is a per-lane gather, so FMAs per
// load is what pays (see block8x8.wgsl). Accumulators are named variables, never a
// dynamically indexed local array (which SwiftShader spills to memory). No
// workgroup memory is used. Integer division is scalar and slow there, so no
// kernel divides inside its loops. The grid may be 2-D (past 65535
// workgroups), hence the row stride in invocation().
//
// How fast each runs where: bench/results (the kernels table, and the
// variants timed per layer shape).

// The geometry is a set of overrides, set when the pipeline is created (one
// pipeline per layer shape): the index arithmetic then divides by constants,
// which the compiler turns into shifts and multiplies, and loops of a known
// trip count can be unrolled.
override N: u32;                  // x (conv input) shape
override Ci: u32;
override H: u32;
override W: u32;
override Co: u32;                 // y (conv output) channels and size
override Ho: u32;
override Wo: u32;
override KH: u32;                 // kernel size
override KW: u32;
override SY: u32;                 // stride and zero padding
override SX: u32;
override PY: u32;
override PX: u32;
override HAS_BIAS = false;        // adds the bias (forward: bias[co]; input gradient: bias[ci])

// conv_bias_grad: partial sums of `COUNT` values.
override COUNT: u32 = 1u;         // values per chunk (channels)
override CHUNKS: u32 = 1u;        // number of chunks
override CHUNK_LEN: u32 = 1u;     // conv_bias_grad: elements of one channel summed per chunk
override PLANE: u32 = 1u;         // conv_bias_grad: H * W of dy
override BATCH: u32 = 1u;         // conv_bias_grad: N of dy

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(10) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> dcols: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;

const WG = 64u; // = every entry point's @workgroup_size

fn invocation(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

// Bias of 4 channels starting at c0 (of `count`), or zeros when there is none.
fn bias4(c0: u32, count: u32) -> vec4f {
  if (!HAS_BIAS) { return vec4f(0.0); }
  let last = count - 1u;
  return vec4f(bias[min(c0, last)], bias[min(c0 + 1u, last)], bias[min(c0 + 2u, last)], bias[min(c0 + 3u, last)]);
}

// Stores 4 channels of image n at position pos of y (those that exist).
fn store_out(n: u32, co0: u32, pos: u32, positions: u32, v: vec4f) {
  if (n >= N) { return; }
  let base = (n * Co + co0) * positions + pos;
  for (var c = 0u; c < 4u; c++) {
    if (co0 + c < Co) { y[base + c * positions] = v[c]; }
  }
}

// Stores 4 channels of image n at position pos of dx (those that exist).
fn store_dx(n: u32, ci0: u32, pos: u32, positions: u32, v: vec4f) {
  if (n >= N) { return; }
  let base = (n * Ci + ci0) * positions + pos;
  for (var c = 0u; c < 4u; c++) {
    if (ci0 + c < Ci) { dx[base + c * positions] = v[c]; }
  }
}

// ---------------------------------------------------------------------------
// conv2d_forward: one invocation = one output position (oy, ox) x 8 images x
// 4 output channels. The 8 images share the position, so they share the range
// of kernel taps that land inside the input: that range is computed once and
// the inner loop needs no bounds tests (the padding is simply skipped).
// Invocation order: position fastest, then image group, then channel block.

@compute @workgroup_size(64)
fn conv2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let id = invocation(gid, nwg);
  let positions = Ho * Wo;
  let groups = (N + 7u) / 8u;
  if (id >= positions * groups * ((Co + 3u) / 4u)) { return; }
  let pos = id % positions;
  let n0 = ((id / positions) % groups) * 8u;
  let co0 = (id / (positions * groups)) * 4u;

  // Top-left input pixel of the window (negative inside the padding) and the taps inside the input.
  let top = i32((pos / Wo) * SY) - i32(PY);
  let left = i32((pos % Wo) * SX) - i32(PX);
  let ky_lo = u32(max(0, -top));
  let ky_hi = u32(clamp(i32(H) - top, 0, i32(KH)));
  let kx_lo = u32(max(0, -left));
  let kx_hi = u32(clamp(i32(W) - left, 0, i32(KW)));

  // Offsets of the 8 images in x (an image past N repeats the last one and is not stored)...
  let image = Ci * H * W;
  let x0 = min(n0, N - 1u) * image;
  let x1 = min(n0 + 1u, N - 1u) * image;
  let x2 = min(n0 + 2u, N - 1u) * image;
  let x3 = min(n0 + 3u, N - 1u) * image;
  let x4 = min(n0 + 4u, N - 1u) * image;
  let x5 = min(n0 + 5u, N - 1u) * image;
  let x6 = min(n0 + 6u, N - 1u) * image;
  let x7 = min(n0 + 7u, N - 1u) * image;
  // ...and of the 4 channels' weight rows: w[co, ci, ky, kx] = w[co * R + (ci * KH + ky) * KW + kx].
  let R = Ci * KH * KW;
  let w0 = min(co0, Co - 1u) * R;
  let w1 = min(co0 + 1u, Co - 1u) * R;
  let w2 = min(co0 + 2u, Co - 1u) * R;
  let w3 = min(co0 + 3u, Co - 1u) * R;

  var acc0 = vec4f(0.0);  // image n0, channels co0..co0+3
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  for (var ci = 0u; ci < Ci; ci++) {
    for (var ky = ky_lo; ky < ky_hi; ky++) {
      // x offset of (ci, top + ky, left) within an image; adding kx >= kx_lo makes it non-negative.
      let row = i32((ci * H) * W) + (top + i32(ky)) * i32(W) + left;
      let r = (ci * KH + ky) * KW;
      for (var kx = kx_lo; kx < kx_hi; kx++) {
        let i = u32(row + i32(kx));
        let wv = vec4f(w[w0 + r + kx], w[w1 + r + kx], w[w2 + r + kx], w[w3 + r + kx]);
        acc0 += x[x0 + i] * wv;
        acc1 += x[x1 + i] * wv;
        acc2 += x[x2 + i] * wv;
        acc3 += x[x3 + i] * wv;
        acc4 += x[x4 + i] * wv;
        acc5 += x[x5 + i] * wv;
        acc6 += x[x6 + i] * wv;
        acc7 += x[x7 + i] * wv;
      }
    }
  }
  let b = bias4(co0, Co);
  store_out(n0, co0, pos, positions, acc0 + b);
  store_out(n0 + 1u, co0, pos, positions, acc1 + b);
  store_out(n0 + 2u, co0, pos, positions, acc2 + b);
  store_out(n0 + 3u, co0, pos, positions, acc3 + b);
  store_out(n0 + 4u, co0, pos, positions, acc4 + b);
  store_out(n0 + 5u, co0, pos, positions, acc5 + b);
  store_out(n0 + 6u, co0, pos, positions, acc6 + b);
  store_out(n0 + 7u, co0, pos, positions, acc7 + b);
}

// ---------------------------------------------------------------------------
// conv2d_input_grad_direct: dx[n, ci, iy, ix] = sum over co, ky, kx with
// iy = oy*SY - PY + ky and ix = ox*SX - PX + kx of dy[n, co, oy, ox] * w[co, ci, ky, kx].
//
// A gather: one invocation = one input position (iy, ix) x 8 images x 4 input
// channels. With stride S only the taps ky = (iy + PY) mod SY + k * SY reach
// row iy, from dy row oy = (iy + PY - ky) / SY; looping over every tap would
// waste (S^2 - 1)/S^2 of the work. So each invocation walks only its own taps,
// from the first with oy <= Ho - 1 to the last with oy >= 0 (taps_reaching), in
// steps of SY: no bounds tests, no wasted loads. When dy is 1x1 (the
// decoder's 1x1 -> 4x4 layer) that is one tap per position instead of 16.
// Invocation order: position fastest, then image group, then channel block.

// The taps of one axis that reach input coordinate i: first, last (inclusive; last < first when none).
fn taps_reaching(i: u32, pad: u32, stride: u32, kernel: u32, dy_size: u32) -> vec2i {
  let reach = i32(i + pad);  // tap k reads dy at (reach - k) / stride
  let first = max(reach % i32(stride), reach - i32((dy_size - 1u) * stride));
  let last = min(i32(kernel) - 1, reach);
  return vec2i(first, last);
}

@compute @workgroup_size(64)
fn conv2d_input_grad_direct(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let id = invocation(gid, nwg);
  let positions = H * W;
  let groups = (N + 7u) / 8u;
  if (id >= positions * groups * ((Ci + 3u) / 4u)) { return; }
  let pos = id % positions;
  let n0 = ((id / positions) % groups) * 8u;
  let ci0 = (id / (positions * groups)) * 4u;

  let iy = pos / W;
  let ix = pos % W;
  let ky_range = taps_reaching(iy, PY, SY, KH, Ho);
  let kx_range = taps_reaching(ix, PX, SX, KW, Wo);
  let reach_y = i32(iy + PY);  // tap ky reads dy row (reach_y - ky) / SY
  let reach_x = i32(ix + PX);

  // Offsets of the 8 images in dy (an image past N repeats the last one and is not stored)...
  let dy_plane = Ho * Wo;
  let image = Co * dy_plane;
  let d0 = min(n0, N - 1u) * image;
  let d1 = min(n0 + 1u, N - 1u) * image;
  let d2 = min(n0 + 2u, N - 1u) * image;
  let d3 = min(n0 + 3u, N - 1u) * image;
  let d4 = min(n0 + 4u, N - 1u) * image;
  let d5 = min(n0 + 5u, N - 1u) * image;
  let d6 = min(n0 + 6u, N - 1u) * image;
  let d7 = min(n0 + 7u, N - 1u) * image;
  // ...and of the 4 channels in w: w[co, ci, ky, kx] = w[(co * Ci + ci) * KK + ky * KW + kx].
  let KK = KH * KW;
  let w0 = min(ci0, Ci - 1u) * KK;
  let w1 = min(ci0 + 1u, Ci - 1u) * KK;
  let w2 = min(ci0 + 2u, Ci - 1u) * KK;
  let w3 = min(ci0 + 3u, Ci - 1u) * KK;

  var acc0 = vec4f(0.0);  // image n0, channels ci0..ci0+3
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  // dy row and column read by the first tap; each further tap (SY further on
  // in w) reads one dy row (column) further back. No division in the loop.
  let oy_first = u32(reach_y - ky_range.x) / SY;
  let ox_first = u32(reach_x - kx_range.x) / SX;
  for (var co = 0u; co < Co; co++) {
    let plane = co * dy_plane;
    let wco = co * Ci * KK;
    var oy = oy_first;
    for (var ky = ky_range.x; ky <= ky_range.y; ky += i32(SY)) {
      let row = plane + oy * Wo;
      let wrow = wco + u32(ky) * KW;
      var ox = ox_first;
      for (var kx = kx_range.x; kx <= kx_range.y; kx += i32(SX)) {
        let i = row + ox;
        let k = wrow + u32(kx);
        let wv = vec4f(w[w0 + k], w[w1 + k], w[w2 + k], w[w3 + k]);
        acc0 += dy[d0 + i] * wv;
        acc1 += dy[d1 + i] * wv;
        acc2 += dy[d2 + i] * wv;
        acc3 += dy[d3 + i] * wv;
        acc4 += dy[d4 + i] * wv;
        acc5 += dy[d5 + i] * wv;
        acc6 += dy[d6 + i] * wv;
        acc7 += dy[d7 + i] * wv;
        ox--;
      }
      oy--;
    }
  }
  let b = bias4(ci0, Ci);
  store_dx(n0, ci0, pos, positions, acc0 + b);
  store_dx(n0 + 1u, ci0, pos, positions, acc1 + b);
  store_dx(n0 + 2u, ci0, pos, positions, acc2 + b);
  store_dx(n0 + 3u, ci0, pos, positions, acc3 + b);
  store_dx(n0 + 4u, ci0, pos, positions, acc4 + b);
  store_dx(n0 + 5u, ci0, pos, positions, acc5 + b);
  store_dx(n0 + 6u, ci0, pos, positions, acc6 + b);
  store_dx(n0 + 7u, ci0, pos, positions, acc7 + b);
}


// ---------------------------------------------------------------------------
// col2im: dx[n, ci, iy, ix] = Σ of dcols[n, (ci, ky, kx), (oy, ox)] over the
// taps with iy = oy*SY - PY + ky and ix = ox*SX - PX + kx (+ bias[ci]).
//
// With stride S only the taps ky = (iy + PY) mod SY + k * SY reach row iy,
// from output row oy = (iy + PY - ky) / SY; each invocation walks exactly
// those taps, so there are no bounds tests and no wasted loads. Along an axis
// with reach = i + pad, q = reach / S: the first tap comes from output
// min(q, size - 1), at k = reach - S * that, and the last is min(K - 1, reach).
// One invocation per row (n, ci, iy) of dx walks its W pixels keeping q and
// reach mod S as running counters: no division per element (integer division
// is scalar on SwiftShader, and a division per element made such a pass cost
// as much as the product before it).

@compute @workgroup_size(64)
fn col2im(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let id = invocation(gid, nwg);
  if (id >= N * Ci * H) { return; }
  let iy = id % H;
  let ci = (id / H) % Ci;
  let n = id / (H * Ci);
  let P = Ho * Wo;
  let reach_y = iy + PY;
  let oy_first = min(reach_y / SY, Ho - 1u);
  let ky_first = i32(reach_y) - i32(oy_first * SY);
  let ky_last = min(i32(KH) - 1, i32(reach_y));
  // dcols offset of (n, tap (ci, 0, 0), pixel 0); tap (ky, kx) adds (ky * KW + kx) * P.
  let base = (n * Ci + ci) * KH * KW * P;
  var b = 0.0;
  if (HAS_BIAS) { b = bias[ci]; }
  var out = id * W;
  var q = PX / SX;       // (ix + PX) / SX for ix = 0
  var phase = PX % SX;   // (ix + PX) % SX
  for (var ix = 0u; ix < W; ix++) {
    let reach_x = ix + PX;
    let ox_first = min(q, Wo - 1u);
    let kx_first = i32(reach_x) - i32(ox_first * SX);
    let kx_last = min(i32(KW) - 1, i32(reach_x));
    var s = b;
    var oy = oy_first;
    for (var ky = ky_first; ky <= ky_last; ky += i32(SY)) {
      var ox = ox_first;
      for (var kx = kx_first; kx <= kx_last; kx += i32(SX)) {
        s += dcols[base + (u32(ky) * KW + u32(kx)) * P + oy * Wo + ox];
        ox--;
      }
      oy--;
    }
    dx[out] = s;
    out++;
    phase++;
    if (phase == SX) { phase = 0u; q++; }
  }
}

// ---------------------------------------------------------------------------
// conv_bias_grad: partial[k * C + c] = sum of dy[n, c, :, :] over chunk k of
// the N * H * W elements of channel c (chunk_len of them, walked with running
// counters). One invocation per (channel, chunk), channel fastest.

@compute @workgroup_size(64)
fn conv_bias_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let id = invocation(gid, nwg);
  if (id >= COUNT * CHUNKS) { return; }
  let c = id % COUNT;
  let chunk = id / COUNT;
  let k0 = chunk * CHUNK_LEN;
  let k1 = min(k0 + CHUNK_LEN, BATCH * PLANE);
  var n = k0 / PLANE;
  var i = k0 % PLANE;
  var s = 0.0;
  for (var k = k0; k < k1; k++) {
    s += dy[(n * COUNT + c) * PLANE + i];
    i++;
    if (i == PLANE) { i = 0u; n++; }
  }
  partial[chunk * COUNT + c] = s;
}
