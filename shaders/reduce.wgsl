// Sums over one dimension, and the adjoint: copying back over that dimension.
//
// The host (src/ops/reduce.ts) views every reduction as a sequence of passes,
// each summing the middle axis of a contiguous [outer, reduce, inner] array.
// Summing NCHW over (N, H, W), for example, is [N*C, H*W, 1] -> [N*C], then
// [1, N, C] -> [C].
//
// sum_loop   one invocation per output element, adding up its elements in a
//            loop. When there are too few outputs to keep the device busy (an
//            all-elements sum has one), the summed axis is also dealt out
//            round-robin to `splits` invocations per output: invocation s adds
//            elements s, s + splits, s + 2 splits, ..., so neighbouring
//            invocations read neighbouring addresses. That writes partial sums
//            [outer, splits, inner], which the host sums in a further pass: a
//            parallel reduction in passes.
//
//            Why no workgroup-memory tree: on SwiftShader (WebGPU on the CPU)
//            a workgroupBarrier() is dear, paid again in every workgroup; a
//            256-wide tree summing an OCGAN activation per channel was slower
//            than an elementwise add over the same elements, these passes
//            faster. Their time now: the profiled iteration of `npm run bench`
//            (bench/results/<adapter>.json, iterations[].profile.kernels, the
//            "reduce.wgsl:sum_loop ..." rows).
// expand     out[o, r, i] = g[o, i] * scale: the backward of one pass.
//
// Every pass multiplies what it writes by `scale` (1, or 1/count for a mean
// on the last pass), so a mean costs no extra dispatch. The grid may be 2-D
// (more than 65535 workgroups), hence the row stride in the index.

struct Params {
  outer: u32,   // product of the dimensions before the summed one
  reduce: u32,  // length of the summed dimension
  inner: u32,   // product of the dimensions after it
  splits: u32,  // sum_loop: invocations sharing one output's sum (1 = no split)
  scale: f32,   // multiplies every value written
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

@compute @workgroup_size(256)
fn sum_loop(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = index(gid, nwg); // output index, (o * splits + s) * inner + i
  if (k >= p.outer * p.splits * p.inner) { return; }
  let i = k % p.inner;
  let row = k / p.inner;
  let o = row / p.splits;
  let s = row - o * p.splits;
  // Elements (o, s + m * splits, i) for m = 0, 1, ... while inside row o.
  let step = p.splits * p.inner;
  let end = (o + 1u) * p.reduce * p.inner;
  var acc = 0.0;
  for (var at = (o * p.reduce + s) * p.inner + i; at < end; at += step) {
    acc += x[at];
  }
  out[k] = acc * p.scale;
}

// Reads g ([outer, inner]) through the `x` binding, writes [outer, reduce, inner].
@compute @workgroup_size(256)
fn expand(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = index(gid, nwg);
  let span = p.reduce * p.inner;
  if (k >= p.outer * span) { return; }
  let o = k / span;
  let i = k % p.inner;
  out[k] = x[o * p.inner + i] * p.scale;
}
