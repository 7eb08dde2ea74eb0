// Elementwise activations, forward and backward, one invocation per element
// of type V: f32, or vec4f (four consecutive elements) where the count is a
// multiple of 4. The prelude that src/ops/launch.ts's withLanes() appends
// defines V; p.n counts V elements. Every expression below is componentwise,
// so the same code serves both.
//
// Each backward entry computes dx = g * f'(.) from whichever of x or y = f(x)
// gives the most stable derivative: tanh and sigmoid use y (1 - y^2, y(1 - y)),
// which stays exact where x is large; relu and leaky relu use x. Forward tanh
// and sigmoid are written to avoid exp overflow at |x| = 50 and beyond.
// The grid may be 2-D (more than 65535 workgroups), hence the row stride.

struct Params { n: u32, slope: f32, lo: f32, hi: f32 }

@group(0) @binding(0) var<storage, read> x: array<V>;
@group(0) @binding(1) var<storage, read_write> y: array<V>;
@group(0) @binding(2) var<uniform> p: Params;

@group(0) @binding(3) var<storage, read> g: array<V>;
@group(0) @binding(4) var<storage, read_write> dx: array<V>;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

// tanh(x) = sign(x) (1 - e) / (1 + e) with e = exp(-2|x|) <= 1: no overflow.
fn stable_tanh(v: V) -> V {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}

// sigmoid through exp(-|x|) <= 1: no overflow for any x.
fn stable_sigmoid(v: V) -> V {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= V(0.0));
}

@compute @workgroup_size(256)
fn tanh_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { y[i] = stable_tanh(x[i]); }
}

@compute @workgroup_size(256)
fn sigmoid_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { y[i] = stable_sigmoid(x[i]); }
}

@compute @workgroup_size(256)
fn leaky_relu_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { let v = x[i]; y[i] = select(p.slope * v, v, v > V(0.0)); }
}

@compute @workgroup_size(256)
fn clamp_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { y[i] = clamp(x[i], V(p.lo), V(p.hi)); }
}

// Backward rules read y (the forward output) as `x` binding: dx = g (1 - y^2).
@compute @workgroup_size(256)
fn tanh_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { let t = x[i]; dx[i] = g[i] * (1.0 - t * t); }
}

@compute @workgroup_size(256)
fn sigmoid_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { let s = x[i]; dx[i] = g[i] * s * (1.0 - s); }
}

@compute @workgroup_size(256)
fn leaky_relu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { dx[i] = select(p.slope * g[i], g[i], x[i] > V(0.0)); }
}

// Gradient passes where lo < x < hi (PyTorch passes it at the bounds too; we follow it: lo <= x <= hi).
@compute @workgroup_size(256)
fn clamp_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { let v = x[i]; dx[i] = select(V(0.0), g[i], (v >= V(p.lo)) & (v <= V(p.hi))); }
}
