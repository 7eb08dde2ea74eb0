// Convolution kernels with the layer's shape baked in: every geometry value
// below is an `override`, set when src/ops/conv.ts creates the pipeline for
// one layer, so the compiler folds the index arithmetic and knows every loop's
// trip count. Where conv2d.wgsl has a kernel for the same pass, the engine
// times both on the adapter at hand and keeps the faster for each layer
// (src/gpu/tuner.ts).
//
// Same geometry as conv2d.wgsl (one conv2d):
//     x [N, Ci, H, W]  --  w [Co, Ci, KH, KW], stride (SY, SX), padding (PY, PX)  -->  y [N, Co, Ho, Wo]
//
// The first two are candidates beside conv2d.wgsl's kernels, the weight
// gradient is the only one of its pass. Each computes an 8x8 block per invocation (block8x8.wgsl, appended
// by src/ops/conv.ts): 8 images (the block's rows) x 8 channels (its
// columns), so each step loads 16 values for 64 multiply-adds. What sets them
// apart from conv2d.wgsl's direct kernels is control flow: on SwiftShader the
// lanes of a SIMD group run in lock step, and a loop whose bounds differ
// between lanes runs masked, lane by lane. Here every lane of a dispatch walks
// the same taps in the same order. A tap that falls into the padding still
// runs, with its weights multiplied by 0 and its load clamped into the image.
//
//   conv2d_forward_block       y from x and w (+ bias[co]); one invocation per
//                              output position x 8 images x 8 output channels
//   conv2d_input_grad_phases   dx from dy and w (+ bias[ci]), the transposed
//                              convolution: one dispatch per phase class (below)
//   conv2d_weight_grad         dw [Co, R] = Σ over (n, p) of dy · colsᵀ, an
//                              implicit GEMM reading cols[n, r, p] straight from x
//                              (R = Ci·KH·KW taps r = (ci, ky, kx), P = Ho·Wo pixels p)
//
// bench/results (kernels, "choices") shows which one the tuner picked where.

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
override HAS_BIAS: bool = false;
override IMAGES_PER_GROUP: u32 = 1u; // conv2d_weight_grad: images summed by one invocation

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;

// Invocations per workgroup. Where a layer has few invocations (8 images x 8
// channels each), smaller workgroups spread them better over the adapter's
// threads; src/ops/conv.ts offers 64 and 16 as variants to the tuner.
override WG: u32 = 64u;

fn invocation(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

// Offsets of 4 consecutive indices from i0 (clamped to last) times a stride.
fn offsets4(i0: u32, last: u32, stride: u32) -> vec4u {
  return min(vec4u(i0) + vec4u(0u, 1u, 2u, 3u), vec4u(last)) * stride;
}

// Bias of channels c0..c0+7 (clamped to count), or zeros when there is none.
fn bias8(c0: u32, count: u32) -> array<vec4f, 2> {
  if (!HAS_BIAS) { return array(vec4f(0.0), vec4f(0.0)); }
  let lo = offsets4(c0, count - 1u, 1u);
  let hi = offsets4(c0 + 4u, count - 1u, 1u);
  return array(vec4f(bias[lo.x], bias[lo.y], bias[lo.z], bias[lo.w]), vec4f(bias[hi.x], bias[hi.y], bias[hi.z], bias[hi.w]));
}

// ---------------------------------------------------------------------------
// conv2d_forward_block: invocation order position fastest, then image group,
// then channel block. The taps of the window (ky, kx) are the outer loops,
// the input channels the inner one, whose loads step by one plane (x) and by
// KH*KW (w).

@compute @workgroup_size(WG)
fn conv2d_forward_block(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let id = invocation(gid, nwg);
  let positions = Ho * Wo;
  let groups = (N + 7u) / 8u;
  if (id >= positions * groups * ((Co + 7u) / 8u)) { return; }
  let pos = id % positions;
  let n0 = ((id / positions) % groups) * 8u;
  let co0 = (id / (positions * groups)) * 8u;

  let top = i32((pos / Wo) * SY) - i32(PY);
  let left = i32((pos % Wo) * SX) - i32(PX);
  // The block's 8 images in x and its 8 channels' weight rows (clamped; not stored past N or Co).
  let x_lo = offsets4(n0, N - 1u, Ci * H * W);
  let x_hi = offsets4(n0 + 4u, N - 1u, Ci * H * W);
  let w_lo = offsets4(co0, Co - 1u, Ci * KH * KW);
  let w_hi = offsets4(co0 + 4u, Co - 1u, Ci * KH * KW);

  var c = Block();
  for (var ky = 0u; ky < KH; ky++) {
    let iy = top + i32(ky);
    let row_inside = iy >= 0 && iy < i32(H);
    for (var kx = 0u; kx < KW; kx++) {
      let ix = left + i32(kx);
      let inside = select(0.0, 1.0, row_inside && ix >= 0 && ix < i32(W));
      var q = u32(clamp(iy, 0, i32(H) - 1)) * W + u32(clamp(ix, 0, i32(W) - 1));
      var k = ky * KW + kx;
      for (var ci = 0u; ci < Ci; ci++) {
        let a_lo = vec4f(x[x_lo.x + q], x[x_lo.y + q], x[x_lo.z + q], x[x_lo.w + q]);
        let a_hi = vec4f(x[x_hi.x + q], x[x_hi.y + q], x[x_hi.z + q], x[x_hi.w + q]);
        let b_lo = vec4f(w[w_lo.x + k], w[w_lo.y + k], w[w_lo.z + k], w[w_lo.w + k]) * inside;
        let b_hi = vec4f(w[w_hi.x + k], w[w_hi.y + k], w[w_hi.z + k], w[w_hi.w + k]) * inside;
        rank1(&c, a_lo, a_hi, b_lo, b_hi);
        q += H * W;
        k += KH * KW;
      }
    }
  }

  store_y(c, n0, co0, pos);
}

// y at one position for images n0..n0+7 and channels co0..co0+7 (those in range), plus the bias.
fn store_y(c: Block, n0: u32, co0: u32, pos: u32) {
  let b = bias8(co0, Co);
  for (var i = 0u; i < 8u && n0 + i < N; i++) {
    let v = block_row(c, i);
    for (var j = 0u; j < 8u && co0 + j < Co; j++) {
      y[((n0 + i) * Co + co0 + j) * Ho * Wo + pos] = v[j / 4u][j % 4u] + b[j / 4u][j % 4u];
    }
  }
}

// ---------------------------------------------------------------------------
// conv2d_input_grad_phases: dx[n, ci, iy, ix] = Σ over co, ky, kx of
// dy[n, co, oy, ox] · w[co, ci, ky, kx] where iy = oy*SY - PY + ky (and the
// same along x).
//
// Only the taps ky ≡ iy + PY (mod SY) reach row iy. The input positions with
// the same phases (PHY, PHX) = ((iy + PY) mod SY, (ix + PX) mod SX) form a
// class whose members all use the same taps, ky = PHY + SY*t for t < TY, so
// one dispatch per class (src/ops/conv.ts sets the class's overrides) lets
// every lane walk the same taps: TY x TX of them instead of KH x KW. In a
// class, iy = j*SY + PHY - PY for j in [J0, J1), and tap t reads dy row
// oy = j - t: no division in the loop. Invocation order: class position
// fastest, then image group, then channel block.

override PHY: u32 = 0u;
override PHX: u32 = 0u;
override J0: u32 = 0u;
override J1: u32 = 0u;
override I0: u32 = 0u;
override I1: u32 = 0u;
override TY: u32 = 0u;
override TX: u32 = 0u;

@compute @workgroup_size(WG)
fn conv2d_input_grad_phases(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let id = invocation(gid, nwg);
  let cols = I1 - I0;
  let positions = (J1 - J0) * cols;
  let groups = (N + 7u) / 8u;
  if (id >= positions * groups * ((Ci + 7u) / 8u)) { return; }
  let pos = id % positions;
  let n0 = ((id / positions) % groups) * 8u;
  let ci0 = (id / (positions * groups)) * 8u;
  let j = J0 + pos / cols;
  let i = I0 + pos % cols;

  let d_lo = offsets4(n0, N - 1u, Co * Ho * Wo);
  let d_hi = offsets4(n0 + 4u, N - 1u, Co * Ho * Wo);
  let w_lo = offsets4(ci0, Ci - 1u, KH * KW);
  let w_hi = offsets4(ci0 + 4u, Ci - 1u, KH * KW);

  var c = Block();
  for (var t = 0u; t < TY; t++) {
    let oy = i32(j) - i32(t);
    let row_inside = oy >= 0 && oy < i32(Ho);
    for (var s = 0u; s < TX; s++) {
      let ox = i32(i) - i32(s);
      let inside = select(0.0, 1.0, row_inside && ox >= 0 && ox < i32(Wo));
      var q = u32(clamp(oy, 0, i32(Ho) - 1)) * Wo + u32(clamp(ox, 0, i32(Wo) - 1));
      var k = (PHY + SY * t) * KW + PHX + SX * s;
      for (var co = 0u; co < Co; co++) {
        let a_lo = vec4f(dy[d_lo.x + q], dy[d_lo.y + q], dy[d_lo.z + q], dy[d_lo.w + q]);
        let a_hi = vec4f(dy[d_hi.x + q], dy[d_hi.y + q], dy[d_hi.z + q], dy[d_hi.w + q]);
        let b_lo = vec4f(w[w_lo.x + k], w[w_lo.y + k], w[w_lo.z + k], w[w_lo.w + k]) * inside;
        let b_hi = vec4f(w[w_hi.x + k], w[w_hi.y + k], w[w_hi.z + k], w[w_hi.w + k]) * inside;
        rank1(&c, a_lo, a_hi, b_lo, b_hi);
        q += Ho * Wo;
        k += Ci * KH * KW;
      }
    }
  }

  store_dx(c, n0, ci0, j, i);
}

// dx at the phase class's position (j, i) for images n0..n0+7 and channels ci0..ci0+7 (those in range), plus the bias.
fn store_dx(c: Block, n0: u32, ci0: u32, j: u32, i: u32) {
  let iy = j * SY + PHY - PY;
  let ix = i * SX + PHX - PX;
  let b = bias8(ci0, Ci);
  for (var r = 0u; r < 8u && n0 + r < N; r++) {
    let v = block_row(c, r);
    for (var e = 0u; e < 8u && ci0 + e < Ci; e++) {
      dx[(((n0 + r) * Ci + ci0 + e) * H + iy) * W + ix] = v[e / 4u][e % 4u] + b[e / 4u][e % 4u];
    }
  }
}

// ---------------------------------------------------------------------------
// x at rows iy and columns ix of 4 windows (offsets img of their image and channel plane): 0 outside the image.
fn x4(img: vec4i, iy: vec4i, ix: vec4i) -> vec4f {
  let inside = (iy >= vec4i(0)) & (iy < vec4i(i32(H))) & (ix >= vec4i(0)) & (ix < vec4i(i32(W)));
  let i = vec4u(select(vec4i(0), img + iy * i32(W) + ix, inside));
  return select(vec4f(0.0), vec4f(x[i.x], x[i.y], x[i.z], x[i.w]), inside);
}

// ---------------------------------------------------------------------------
// conv2d_weight_grad: dw [Co, R] = Σ over (n, p) of dy [Co, (n, p)] · cols [R, (n, p)]ᵀ,
// an implicit GEMM reading cols from x. One invocation per 8x8 block
// of dw (8 output channels x 8 taps r = (ci, ky, kx)) summed over one group
// of images: with few weights (the one-input-channel first layer has 16 taps)
// the images are split into groups, for parallelism, whose partial sums
// partial[group, co, r] sum_chunks adds up. Per tap the invocation keeps the
// channel plane and (ky, kx); the depth walks the group's pixels with running
// (n, oy, ox) counters. Invocation order: tap blocks fastest, then channel
// blocks, then groups.

@compute @workgroup_size(WG)
fn conv2d_weight_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let id = invocation(gid, nwg);
  let R = Ci * KH * KW;
  let tap_blocks = (R + 7u) / 8u;
  let co_blocks = (Co + 7u) / 8u;
  let groups = N / IMAGES_PER_GROUP;
  if (id >= tap_blocks * co_blocks * groups) { return; }
  let r0 = (id % tap_blocks) * 8u;
  let co0 = ((id / tap_blocks) % co_blocks) * 8u;
  let group = id / (tap_blocks * co_blocks);

  let t_lo = taps4(r0);
  let t_hi = taps4(r0 + 4u);
  // dy planes of the 8 channels (clamped).
  let P = Ho * Wo;
  let g_lo = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(Co - 1u)) * P;
  let g_hi = min(vec4u(co0) + vec4u(4u, 5u, 6u, 7u), vec4u(Co - 1u)) * P;

  var c = Block();
  let n_end = (group + 1u) * IMAGES_PER_GROUP;
  for (var n = group * IMAGES_PER_GROUP; n < n_end; n++) {
    let img = vec4i(i32(n * Ci * H * W));
    var d = n * Co * P;  // dy offset of (n, channel 0, pixel 0) + p
    var top = -i32(PY);
    for (var oy = 0u; oy < Ho; oy++) {
      var left = -i32(PX);
      for (var ox = 0u; ox < Wo; ox++) {
        let a_lo = vec4f(dy[g_lo.x + d], dy[g_lo.y + d], dy[g_lo.z + d], dy[g_lo.w + d]);
        let a_hi = vec4f(dy[g_hi.x + d], dy[g_hi.y + d], dy[g_hi.z + d], dy[g_hi.w + d]);
        rank1(&c, a_lo, a_hi, x4(img + t_lo.plane, vec4i(top) + t_lo.ky, vec4i(left) + t_lo.kx),
                  x4(img + t_hi.plane, vec4i(top) + t_hi.ky, vec4i(left) + t_hi.kx));
        d++;
        left += i32(SX);
      }
      top += i32(SY);
    }
  }

  store_partial(c, group, co0, r0);
}

// partial[group, co, r] for channels co0..co0+7 and taps r0..r0+7 (those in range).
fn store_partial(c: Block, group: u32, co0: u32, r0: u32) {
  let R = Ci * KH * KW;
  for (var i = 0u; i < 8u && co0 + i < Co; i++) {
    let v = block_row(c, i);
    for (var j = 0u; j < 8u && r0 + j < R; j++) {
      partial[(group * Co + co0 + i) * R + r0 + j] = v[j / 4u][j % 4u];
    }
  }
}

// The 4 taps r0..r0+3 (clamped to R - 1) as the offsets of their channel planes and their (ky, kx).
struct Taps4 { plane: vec4i, ky: vec4i, kx: vec4i }

fn taps4(r0: u32) -> Taps4 {
  let KK = KH * KW;
  let r = min(vec4u(r0) + vec4u(0u, 1u, 2u, 3u), vec4u(Ci * KK - 1u));
  return Taps4(vec4i((r / KK) * H * W), vec4i((r % KK) / KW), vec4i(r % KW));
}
