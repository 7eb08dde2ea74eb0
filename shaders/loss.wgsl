// Mean losses and their gradients: mse (mean of (a - b)²) and binary cross
// entropy on logits (mean of max(x, 0) - x t + log(1 + exp(-|x|))).
//
// Forward: two barrier-free passes. *_partial: invocation k of `parts` adds
// the terms k, k + parts, k + 2 parts, ... (neighbouring invocations read
// neighbouring addresses) into partials[k]; mean_of_partials: one invocation
// adds the partial sums and writes loss[0] = total / n. Why not one workgroup
// summing everything through workgroup memory, in one dispatch: on SwiftShader
// a single workgroup runs on one thread, and with its barriers it was far
// slower than these two passes. Their time now: the profiled iteration of
// `npm run bench` (bench/results/<adapter>.json, iterations[].profile.kernels,
// the "loss.wgsl:..." rows).
//
// Backward (mse_backward, bce_backward, bce_backward_target): elementwise,
// one invocation per element, scaled by the upstream gradient grad[0] / n; the
// grid may be 2-D (more than 65535 workgroups), hence the row stride in index().
//
// The target of bce is either a tensor (`targets`) or one number for every
// element (scalar_target = 1, target_value); a tensor must then still be
// bound to `targets`, and is not read.

struct Params {
  n: u32,
  parts: u32,           // partial sums of the forward
  scalar_target: u32,
  target_value: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;       // mse: the two operands
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> logits: array<f32>;  // bce
@group(0) @binding(4) var<storage, read> targets: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials_out: array<f32>;
@group(0) @binding(6) var<storage, read> partials: array<f32>;
@group(0) @binding(7) var<storage, read_write> loss: array<f32>;
@group(0) @binding(8) var<storage, read> grad: array<f32>;    // d(result)/d(loss), one element
@group(0) @binding(9) var<storage, read_write> dinput: array<f32>;  // the gradient of one input

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

fn target_at(i: u32) -> f32 {
  if (p.scalar_target == 1u) { return p.target_value; }
  return targets[i];
}

@compute @workgroup_size(256)
fn mse_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = index(gid, nwg);
  if (k >= p.parts) { return; }
  var sum = 0.0;
  for (var i = k; i < p.n; i += p.parts) {
    let d = a[i] - b[i];
    sum += d * d;
  }
  partials_out[k] = sum;
}

@compute @workgroup_size(1)
fn mean_of_partials() {
  var total = 0.0;
  for (var k = 0u; k < p.parts; k += 1u) {
    total += partials[k];
  }
  loss[0] = total / f32(p.n);
}

// d/da of mean((a - b)²) is 2 (a - b) / n; the gradient of b is the same with a and b swapped.
@compute @workgroup_size(256)
fn mse_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  dinput[i] = 2.0 * (a[i] - b[i]) * grad[0] / f32(p.n);
}

// log(1 + e) for 0 <= e <= 1, accurate when e is tiny: where 1 + e rounds, the
// ratio e / ((1 + e) - 1) corrects for the rounding (and 1 + e == 1 gives e).
fn log1p_small(e: f32) -> f32 {
  let u = 1.0 + e;
  if (u == 1.0) { return e; }
  return log(u) * e / (u - 1.0);
}

// max(x, 0) - x t + log(1 + exp(-|x|)): exp never overflows, for any x.
fn bce_term(x: f32, t: f32) -> f32 {
  return max(x, 0.0) - x * t + log1p_small(exp(-abs(x)));
}

// sigmoid through exp(-|x|) <= 1: exactly 1 or 0 at |x| = 100, never NaN.
fn stable_sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

@compute @workgroup_size(256)
fn bce_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = index(gid, nwg);
  if (k >= p.parts) { return; }
  var sum = 0.0;
  for (var i = k; i < p.n; i += p.parts) {
    sum += bce_term(logits[i], target_at(i));
  }
  partials_out[k] = sum;
}

// d/dx = (sigmoid(x) - t) / n.
@compute @workgroup_size(256)
fn bce_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  dinput[i] = (stable_sigmoid(logits[i]) - target_at(i)) * grad[0] / f32(p.n);
}

// d/dt = -x / n (PyTorch also differentiates with respect to a tensor target).
@compute @workgroup_size(256)
fn bce_backward_target(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  dinput[i] = -logits[i] * grad[0] / f32(p.n);
}
