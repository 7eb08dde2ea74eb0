// Batch normalisation over x of shape [batch, channels, spatial...] (NCHW,
// contiguous; `spatial` is H*W, or 1 for [N, C] input). Channel c's
// count = batch * spatial elements are j = n * spatial + s, at address
// (n * channels + c) * spatial + s.
//
// Per-channel sums run in two barrier-free passes, like reduce.wgsl:
// - *_partial: `splits` invocations per channel; invocation (c, k) takes the
//   channel's elements j = k, k + splits, k + 2 splits, ... (neighbouring
//   invocations read neighbouring addresses) and writes one partial result.
// - *_finalize: one invocation per channel combines its `splits` partials.
// Why not one workgroup per channel with a tree in workgroup memory: on
// SwiftShader a workgroupBarrier() is dear, paid again in every workgroup,
// and that design (30 barriers a workgroup for a training forward + backward)
// was many times slower than these passes. Their time now: the bench rows
// "batchNorm [N,C,H,W]", pass "train fwd+bwd" (bench/results/<adapter>.json,
// "kernels"; `npm run bench`).
//
// Batch statistics stay exact where E[x²] - E[x]² would cancel: each partial
// is its elements' sum and their squared deviations from their own mean (two
// loops over the same few elements), and finalize merges them with Chan et
// al.'s rule, M2 = Σ M2_k + Σ n_k (mean_k - mean)².
//
// Every other kernel is elementwise, one invocation per element or channel,
// workgroup_size 256; the grid may be 2-D (more than 65535 workgroups), hence
// the row stride in index().
//
// The forward saves mean and invstd = 1 / sqrt(var + eps) per channel (batch
// statistics in training, a snapshot of the running ones in evaluation) and
// the backward reads only those, so a later in-place update of the running
// statistics cannot change a recorded gradient.

struct Params {
  n: u32,               // elements of x
  batch: u32,
  channels: u32,
  spatial: u32,         // elements per (sample, channel)
  splits: u32,          // partial results per channel
  eps: f32,
  momentum: f32,
  update_running: u32,  // 1: stats_finalize also updates running_mean and running_var
  has_weight: u32,      // 0: no weight is bound; it is 1
  has_bias: u32,        // 0: no bias is bound; it is 0
  train: u32,           // 1: the gradient flows through the batch statistics too
  slope: f32,           // RECTIFY: the fused leaky ReLU's slope (ReLU: 0)
}

// A leaky ReLU fused in after the normalisation: y = z > 0 ? z : slope * z.
// An override, so the kernels without one compile without the test.
override RECTIFY: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials_out: array<vec2f>;  // [channels, splits]
@group(0) @binding(3) var<storage, read> partials: array<vec2f>;

// Written by the statistics kernels...
@group(0) @binding(4) var<storage, read_write> mean_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> invstd_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(7) var<storage, read_write> running_var: array<f32>;

// ...and read by the others.
@group(0) @binding(8) var<storage, read> mean: array<f32>;
@group(0) @binding(9) var<storage, read> invstd: array<f32>;
@group(0) @binding(10) var<storage, read> weight: array<f32>;
@group(0) @binding(11) var<storage, read> bias: array<f32>;
@group(0) @binding(12) var<storage, read_write> y: array<f32>;

// Backward: dy in; per-channel Σ dy (the bias gradient) and Σ dy * xhat (the weight gradient); dx out.
@group(0) @binding(13) var<storage, read> dy: array<f32>;
@group(0) @binding(14) var<storage, read_write> sum_dy_out: array<f32>;
@group(0) @binding(15) var<storage, read_write> sum_dy_xhat_out: array<f32>;
@group(0) @binding(16) var<storage, read> sum_dy: array<f32>;
@group(0) @binding(17) var<storage, read> sum_dy_xhat: array<f32>;
@group(0) @binding(18) var<storage, read_write> dx: array<f32>;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

fn channel_of(i: u32) -> u32 { return (i / p.spatial) % p.channels; }

fn scale_of(c: u32) -> f32 { return select(1.0, weight[c], p.has_weight == 1u); }

fn shift_of(c: u32) -> f32 { return select(0.0, bias[c], p.has_bias == 1u); }

// Walks channel c's elements j = k, k + splits, ... as (sample n, position s),
// j = n * spatial + s. A step adds splits / spatial samples and splits % spatial
// positions, with one carry: no division per element.
struct Cursor { n: u32, s: u32, step_n: u32, step_s: u32 }

fn cursor_start(k: u32) -> Cursor {
  return Cursor(k / p.spatial, k % p.spatial, p.splits / p.spatial, p.splits % p.spatial);
}

fn cursor_next(cur: Cursor) -> Cursor {
  var next = cur;
  next.n += cur.step_n;
  next.s += cur.step_s;
  if (next.s >= p.spatial) {
    next.s -= p.spatial;
    next.n += 1u;
  }
  return next;
}

fn address(cur: Cursor, c: u32) -> u32 { return (cur.n * p.channels + c) * p.spatial + cur.s; }

// How many of a channel's elements partial k holds: at least one, as the host
// keeps splits <= count.
fn share(k: u32) -> f32 { return f32((p.batch * p.spatial - k + p.splits - 1u) / p.splits); }

// Partial (c, k): the sum of its elements and their squared deviations from their own mean.
@compute @workgroup_size(256)
fn stats_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.channels * p.splits) { return; }
  let c = i / p.splits;
  let k = i % p.splits;
  var sum = 0.0;
  for (var cur = cursor_start(k); cur.n < p.batch; cur = cursor_next(cur)) {
    sum += x[address(cur, c)];
  }
  let local_mean = sum / share(k);
  var m2 = 0.0;
  for (var cur = cursor_start(k); cur.n < p.batch; cur = cursor_next(cur)) {
    let d = x[address(cur, c)] - local_mean;
    m2 += d * d;
  }
  partials_out[i] = vec2f(sum, m2);
}

// Channel c's batch mean and biased variance from its partials; saves mean and
// invstd and, if asked, moves the running statistics towards the batch ones
// (the running variance takes the unbiased estimate, as PyTorch does).
@compute @workgroup_size(256)
fn stats_finalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = index(gid, nwg);
  if (c >= p.channels) { return; }
  let count = f32(p.batch * p.spatial);
  let first = c * p.splits;
  var sum = 0.0;
  for (var k = 0u; k < p.splits; k += 1u) {
    sum += partials[first + k].x;
  }
  let mu = sum / count;
  var m2 = 0.0;
  for (var k = 0u; k < p.splits; k += 1u) {
    let part = partials[first + k];
    let n_k = share(k);
    let d = part.x / n_k - mu;
    m2 += part.y + n_k * d * d;
  }
  let variance = m2 / count;
  mean_out[c] = mu;
  invstd_out[c] = 1.0 / sqrt(variance + p.eps);
  if (p.update_running == 1u) {
    let unbiased = m2 / (count - 1.0);
    running_mean[c] = (1.0 - p.momentum) * running_mean[c] + p.momentum * mu;
    running_var[c] = (1.0 - p.momentum) * running_var[c] + p.momentum * unbiased;
  }
}

// Evaluation: mean and invstd from the running statistics, one invocation per channel.
@compute @workgroup_size(256)
fn eval_stats(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = index(gid, nwg);
  if (c >= p.channels) { return; }
  mean_out[c] = running_mean[c];
  invstd_out[c] = 1.0 / sqrt(running_var[c] + p.eps);
}

// The normalised value z = (x - mean) * invstd * weight + bias of element value v in channel c.
fn normalized(v: f32, c: u32) -> f32 { return (v - mean[c]) * invstd[c] * scale_of(c) + shift_of(c); }

// What a fused rectifier passes back of the gradient g at element value v of
// channel c: all of it where z > 0 (as leaky_relu_backward), z computed only
// when there is a rectifier.
fn rectified_grad(g: f32, v: f32, c: u32) -> f32 {
  if (!RECTIFY) { return g; }
  return select(p.slope * g, g, normalized(v, c) > 0.0);
}

// y = z, or the fused rectifier's z > 0 ? z : slope * z; elementwise. The
// backward kernels recompute z from x (the same expression), so the
// rectifier's input need not be stored.
@compute @workgroup_size(256)
fn normalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  let z = normalized(x[i], channel_of(i));
  y[i] = select(z, select(p.slope * z, z, z > 0.0), RECTIFY);
}

// Partial (c, k) of Σ dy and Σ dy * xhat, where xhat = (x - mean) * invstd
// (dy being the gradient below the fused rectifier, when there is one).
@compute @workgroup_size(256)
fn backward_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.channels * p.splits) { return; }
  let c = i / p.splits;
  let k = i % p.splits;
  let mu = mean[c];
  let s = invstd[c];
  var sums = vec2f(0.0);
  for (var cur = cursor_start(k); cur.n < p.batch; cur = cursor_next(cur)) {
    let at = address(cur, c);
    let v = x[at];
    let g = rectified_grad(dy[at], v, c);
    sums += vec2f(g, g * (v - mu) * s);
  }
  partials_out[i] = sums;
}

@compute @workgroup_size(256)
fn backward_finalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = index(gid, nwg);
  if (c >= p.channels) { return; }
  var sums = vec2f(0.0);
  for (var k = 0u; k < p.splits; k += 1u) {
    sums += partials[c * p.splits + k];
  }
  sum_dy_out[c] = sums.x;
  sum_dy_xhat_out[c] = sums.y;
}

// dx = weight * invstd * (dy - (Σ dy + xhat Σ dy xhat) / count) in training,
// where the batch statistics depend on x; dx = weight * invstd * dy in evaluation.
@compute @workgroup_size(256)
fn backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  let c = channel_of(i);
  let s = invstd[c];
  var g = rectified_grad(dy[i], x[i], c);
  if (p.train == 1u) {
    let count = f32(p.batch * p.spatial);
    let xhat = (x[i] - mean[c]) * s;
    g -= (sum_dy[c] + xhat * sum_dy_xhat[c]) / count;
  }
  dx[i] = scale_of(c) * s * g;
}
