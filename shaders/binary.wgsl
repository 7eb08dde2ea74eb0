// Elementwise binary arithmetic: out = scale * (a OP b), OP one of + - * /,
// one invocation per output element.
//
// binary_same       a, b and out have the same shape: out[i] = a[i] OP b[i].
// binary_broadcast  NumPy broadcasting. The host merges the output's
//                   dimensions into at most six (neighbours where a and b
//                   broadcast alike become one) and passes, per merged
//                   dimension, its size and each operand's stride: 0 where the
//                   operand is broadcast. Each invocation splits its output
//                   index into coordinates, innermost first, and dots them
//                   with the strides. Unused outer dimensions have size 1.
// binary_scalar     one operand is a number `c`: out[i] = a[i] OP c, or
//                   c OP a[i] when `swap` is 1 (1 - x, 2 / x).
//
// binary_same and binary_scalar take V elements: vec4f (four at once) where
// the element count is a multiple of 4, else f32 (the prelude of
// src/ops/launch.ts's withLanes() defines V; p.n counts V elements).
// binary_broadcast always runs with V = f32: its operands' strides are in
// elements.
//
// `scale` folds a constant factor into the same pass (negated or doubled
// gradients in the backward rules) instead of a second dispatch. The op is a
// uniform, so every invocation takes the same branch of the switch.
// The grid may be 2-D (more than 65535 workgroups), hence the row stride.

struct Params {
  n: u32,      // output elements
  op: u32,     // 0 add, 1 sub, 2 mul, 3 div
  scale: f32,
  c: f32,      // binary_scalar: the number
  swap: u32,   // binary_scalar: 1 = c OP a
  // binary_broadcast: merged output sizes (d0, the outermost, is implied) and strides of a and b.
  d1: u32, d2: u32, d3: u32, d4: u32, d5: u32,
  a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32,
  b0: u32, b1: u32, b2: u32, b3: u32, b4: u32, b5: u32,
}

@group(0) @binding(0) var<storage, read> a: array<V>;
@group(0) @binding(1) var<storage, read> b: array<V>;
@group(0) @binding(2) var<storage, read_write> out: array<V>;
@group(0) @binding(3) var<uniform> p: Params;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

fn combine(u: V, v: V) -> V {
  switch p.op {
    case 0u: { return u + v; }
    case 1u: { return u - v; }
    case 2u: { return u * v; }
    default: { return u / v; }
  }
}

@compute @workgroup_size(256)
fn binary_same(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { out[i] = p.scale * combine(a[i], b[i]); }
}

@compute @workgroup_size(256)
fn binary_broadcast(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  var c = rest % p.d5; rest /= p.d5; ia += c * p.a5; ib += c * p.b5;
  c = rest % p.d4; rest /= p.d4; ia += c * p.a4; ib += c * p.b4;
  c = rest % p.d3; rest /= p.d3; ia += c * p.a3; ib += c * p.b3;
  c = rest % p.d2; rest /= p.d2; ia += c * p.a2; ib += c * p.b2;
  c = rest % p.d1; rest /= p.d1; ia += c * p.a1; ib += c * p.b1;
  ia += rest * p.a0; ib += rest * p.b0;
  out[i] = p.scale * combine(a[ia], b[ib]);
}

@compute @workgroup_size(256)
fn binary_scalar(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  let v = a[i];
  out[i] = p.scale * select(combine(v, V(p.c)), combine(V(p.c), v), p.swap == 1u);
}
