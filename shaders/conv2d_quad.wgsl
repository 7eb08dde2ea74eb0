// The quad variants of conv2d_block.wgsl's three kernels: the same passes,
// the same loops and the same stores, with a 16x16 block per quad of
// invocations instead of an 8x8 block per invocation (quad8x8.wgsl says why
// and how the four lanes split it). src/ops/conv.ts joins quad8x8.wgsl, this
// file, conv2d_block.wgsl (the geometry, bindings and stores) and
// block8x8.wgsl, and offers these kernels to the tuner on a device with the
// `subgroups` feature.
//
//   conv2d_forward_quad            16 images x 16 output channels at one position
//   conv2d_input_grad_phases_quad  16 images x 16 input channels at one position of a phase class
//   conv2d_weight_grad_quad        16 output channels x 16 taps, summed over one group of images
//
// The quad's invocations are consecutive, so quad = invocation / 4; the
// invocation count is 4 per quad, so a quad past the end returns as a whole.

// ---------------------------------------------------------------------------
@compute @workgroup_size(WG)
fn conv2d_forward_quad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                       @builtin(subgroup_invocation_id) lane: u32) {
  let quad = invocation(gid, nwg) / 4u;
  let positions = Ho * Wo;
  let groups = (N + 15u) / 16u;
  if (quad >= positions * groups * ((Co + 15u) / 16u)) { return; }
  let role = quad_role(lane);
  let pos = quad % positions;
  let n16 = ((quad / positions) % groups) * 16u;
  let co16 = (quad / (positions * groups)) * 16u;

  let top = i32((pos / Wo) * SY) - i32(PY);
  let left = i32((pos % Wo) * SX) - i32(PX);
  // The 4 images (rows) and 4 channels' weight rows (columns) this lane loads, clamped.
  let x_rows = offsets4(n16 + quad_load_row(role), N - 1u, Ci * H * W);
  let w_cols = offsets4(co16 + quad_load_col(role), Co - 1u, Ci * KH * KW);

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
        let rows = vec4f(x[x_rows.x + q], x[x_rows.y + q], x[x_rows.z + q], x[x_rows.w + q]);
        let cols = vec4f(w[w_cols.x + k], w[w_cols.y + k], w[w_cols.z + k], w[w_cols.w + k]) * inside;
        quad_rank1(&c, role, rows, cols);
        q += H * W;
        k += KH * KW;
      }
    }
  }
  store_y(c, n16 + 8u * role.row_half, co16 + 8u * role.col_half, pos);
}

// ---------------------------------------------------------------------------
@compute @workgroup_size(WG)
fn conv2d_input_grad_phases_quad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                                 @builtin(subgroup_invocation_id) lane: u32) {
  let quad = invocation(gid, nwg) / 4u;
  let cols = I1 - I0;
  let positions = (J1 - J0) * cols;
  let groups = (N + 15u) / 16u;
  if (quad >= positions * groups * ((Ci + 15u) / 16u)) { return; }
  let role = quad_role(lane);
  let pos = quad % positions;
  let n16 = ((quad / positions) % groups) * 16u;
  let ci16 = (quad / (positions * groups)) * 16u;
  let j = J0 + pos / cols;
  let i = I0 + pos % cols;

  let d_rows = offsets4(n16 + quad_load_row(role), N - 1u, Co * Ho * Wo);
  let w_cols = offsets4(ci16 + quad_load_col(role), Ci - 1u, KH * KW);

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
        let rows = vec4f(dy[d_rows.x + q], dy[d_rows.y + q], dy[d_rows.z + q], dy[d_rows.w + q]);
        let cols = vec4f(w[w_cols.x + k], w[w_cols.y + k], w[w_cols.z + k], w[w_cols.w + k]) * inside;
        quad_rank1(&c, role, rows, cols);
        q += Ho * Wo;
        k += Ci * KH * KW;
      }
    }
  }
  store_dx(c, n16 + 8u * role.row_half, ci16 + 8u * role.col_half, j, i);
}

// ---------------------------------------------------------------------------
@compute @workgroup_size(WG)
fn conv2d_weight_grad_quad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                           @builtin(subgroup_invocation_id) lane: u32) {
  let quad = invocation(gid, nwg) / 4u;
  let R = Ci * KH * KW;
  let tap_quads = (R + 15u) / 16u;
  let co_quads = (Co + 15u) / 16u;
  let groups = N / IMAGES_PER_GROUP;
  if (quad >= tap_quads * co_quads * groups) { return; }
  let role = quad_role(lane);
  let r16 = (quad % tap_quads) * 16u;
  let co16 = ((quad / tap_quads) % co_quads) * 16u;
  let group = quad / (tap_quads * co_quads);

  let P = Ho * Wo;
  let g_rows = offsets4(co16 + quad_load_row(role), Co - 1u, P);  // dy planes of the lane's 4 channels
  let t = taps4(r16 + quad_load_col(role));                       // and its 4 taps

  var c = Block();
  let n_end = (group + 1u) * IMAGES_PER_GROUP;
  for (var n = group * IMAGES_PER_GROUP; n < n_end; n++) {
    let img = vec4i(i32(n * Ci * H * W));
    var d = n * Co * P;
    var top = -i32(PY);
    for (var oy = 0u; oy < Ho; oy++) {
      var left = -i32(PX);
      for (var ox = 0u; ox < Wo; ox++) {
        let rows = vec4f(dy[g_rows.x + d], dy[g_rows.y + d], dy[g_rows.z + d], dy[g_rows.w + d]);
        quad_rank1(&c, role, rows, x4(img + t.plane, vec4i(top) + t.ky, vec4i(left) + t.kx));
        d++;
        left += i32(SX);
      }
      top += i32(SY);
    }
  }
  store_partial(c, group, co16 + 8u * role.row_half, r16 + 8u * role.col_half);
}
