// Roofline probes: the two numbers every kernel in the benchmark is quoted
// against (bench/roofline.ts runs them).
//
//   fma_probe   arithmetic peak. Every invocation runs 8 independent vec4
//               multiply-add chains (a = a * m + c), 4 rounds per loop trip,
//               so the JIT has enough independent work to fill its pipelines
//               and almost nothing but multiply-adds in the loop. FLOPs per
//               invocation = iters * 4 rounds * 8 chains * 4 lanes * 2.
//               The sum of the chains is stored so nothing is optimised away;
//               m < 1 and small c keep the values finite and normal.
//   fma_builtin_probe  the same with WGSL's fma() builtin (which a driver may
//               lower to a fused instruction or to a slower exact emulation).
//   copy_probe  memory bandwidth: dst[i] = src[i] on vec4s. Each invocation
//               copies `per` vec4s strided by the number of invocations (so
//               neighbouring lanes touch neighbouring addresses), which spreads
//               the fixed cost of an invocation over more bytes.
//               Bytes moved = 2 * 16 * n (one read, one write per vec4).
//
// Both use the 2-D grid convention of the engine's kernels (row stride
// num_workgroups.x * 256) so large dispatches stay within 65535 per dimension.

struct FmaParams {
  iters: u32,   // loop trips per invocation
  seed: f32,    // runtime value the chains start from (defeats constant folding)
}

struct CopyParams {
  n: u32,       // vec4 elements to copy
  per: u32,     // vec4 elements per invocation
}

@group(0) @binding(0) var<storage, read_write> sink: array<vec4f>;
@group(0) @binding(1) var<uniform> fp: FmaParams;
@group(0) @binding(2) var<storage, read> src: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(4) var<uniform> cp: CopyParams;

@compute @workgroup_size(256)
fn fma_probe(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let s = fp.seed + f32(i) * 1e-7;
  var a0 = vec4f(s, s + 0.01, s + 0.02, s + 0.03);
  var a1 = a0 + 0.1;
  var a2 = a0 + 0.2;
  var a3 = a0 + 0.3;
  var a4 = a0 + 0.4;
  var a5 = a0 + 0.5;
  var a6 = a0 + 0.6;
  var a7 = a0 + 0.7;
  let m = vec4f(0.99991, 0.99992, 0.99993, 0.99994);
  let c = vec4f(1e-5, 2e-5, 3e-5, 4e-5);
  for (var k = 0u; k < fp.iters; k++) {
    a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
    a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
    a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
    a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
    a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
    a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
    a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
    a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
  }
  sink[i] = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
}

@compute @workgroup_size(256)
fn fma_builtin_probe(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let s = fp.seed + f32(i) * 1e-7;
  var a0 = vec4f(s, s + 0.01, s + 0.02, s + 0.03);
  var a1 = a0 + 0.1;
  var a2 = a0 + 0.2;
  var a3 = a0 + 0.3;
  var a4 = a0 + 0.4;
  var a5 = a0 + 0.5;
  var a6 = a0 + 0.6;
  var a7 = a0 + 0.7;
  let m = vec4f(0.99991, 0.99992, 0.99993, 0.99994);
  let c = vec4f(1e-5, 2e-5, 3e-5, 4e-5);
  for (var k = 0u; k < fp.iters; k++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
  }
  sink[i] = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
}

@compute @workgroup_size(256)
fn copy_probe(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let threads = nwg.x * nwg.y * 256u;
  var i = gid.x + gid.y * nwg.x * 256u;
  for (var k = 0u; k < cp.per; k++) {
    if (i < cp.n) { dst[i] = src[i]; }
    i += threads;
  }
}
