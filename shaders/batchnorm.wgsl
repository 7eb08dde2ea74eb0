// Batch normalisation over x of shape [batch, channels, spatial...] (NCHW,
// contiguous; `spatial` is H*W, or 1 for [N, C] input). Channel c's
// count = batch * spatial elements are j = n * spatial + s, at address
// (n * channels + c) * spatial + s.
//
// Every kernel reads and writes the data as V: vec4f, four neighbouring
// positions of one channel, where spatial is a multiple of 4 (all conv
// layers), else f32 (the prelude of src/ops/launch.ts's withLanes() defines V
// and LANES). SPATIAL and N below count V elements, so the addressing is the
// same for both; a streaming pass here pays per load more than per byte.
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
// is its elements' sum and their squared deviations from their own mean
// (Welford's running update), and finalize merges them with Chan et
// al.'s rule, M2 = Σ M2_k + Σ n_k (mean_k - mean)².
//
// Every other kernel is elementwise, one invocation per channel or per V
// element, workgroup_size 256;
// the grid may be 2-D (more than 65535 workgroups), hence the row stride in
// index().
//
// The forward saves mean and invstd = 1 / sqrt(var + eps) per channel (batch
// statistics in training, a snapshot of the running ones in evaluation) and
// the backward reads only those, so a later in-place update of the running
// statistics cannot change a recorded gradient.

// The layer's shape and settings are overrides, set when the pipeline is
// created (one pipeline per layer): the index arithmetic below then divides
// by constants, which the compiler turns into shifts and multiplies; a
// division by a run-time value is a scalar loop per lane on SwiftShader.
override N: u32;              // V elements of x
override BATCH: u32;
override CHANNELS: u32;
override SPATIAL: u32;        // V elements per (sample, channel)
override SPLITS: u32;         // partial results per channel
override EPS: f32 = 0.0;
override MOMENTUM: f32 = 0.0;
override UPDATE_RUNNING = false;  // stats_finalize also updates running_mean and running_var
override HAS_WEIGHT = false;      // false: no weight is bound; it is 1
override HAS_BIAS = false;        // false: no bias is bound; it is 0
override TRAIN = false;           // the gradient flows through the batch statistics too

// A leaky ReLU fused in after the normalisation: y = z > 0 ? z : SLOPE * z.
override RECTIFY = false;
override SLOPE: f32 = 0.0;        // the fused leaky ReLU's slope (ReLU: 0)

@group(0) @binding(1) var<storage, read> x: array<V>;
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
@group(0) @binding(12) var<storage, read_write> y: array<V>;

// Backward: dy in; per-channel Σ dy (the bias gradient) and Σ dy * xhat (the weight gradient); dx out.
@group(0) @binding(13) var<storage, read> dy: array<V>;
@group(0) @binding(14) var<storage, read_write> sum_dy_out: array<f32>;
@group(0) @binding(15) var<storage, read_write> sum_dy_xhat_out: array<f32>;
@group(0) @binding(16) var<storage, read> sum_dy: array<f32>;
@group(0) @binding(17) var<storage, read> sum_dy_xhat: array<f32>;
@group(0) @binding(18) var<storage, read_write> dx: array<V>;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

fn channel_of(i: u32) -> u32 { return (i / SPATIAL) % CHANNELS; }

// Walks channel c's V elements j = k, k + splits, ... as (sample n, position s),
// j = n * spatial + s. A step adds splits / spatial samples and splits % spatial
// positions, with one carry: no division per element.
struct Cursor { n: u32, s: u32, step_n: u32, step_s: u32 }

fn cursor_start(k: u32) -> Cursor {
  return Cursor(k / SPATIAL, k % SPATIAL, SPLITS / SPATIAL, SPLITS % SPATIAL);
}

fn cursor_next(cur: Cursor) -> Cursor {
  var next = cur;
  next.n += cur.step_n;
  next.s += cur.step_s;
  if (next.s >= SPATIAL) {
    next.s -= SPATIAL;
    next.n += 1u;
  }
  return next;
}

fn address(cur: Cursor, c: u32) -> u32 { return (cur.n * CHANNELS + c) * SPATIAL + cur.s; }

// How many of a channel's elements partial k holds: LANES per V element, of
// which it has at least one, as the host keeps splits <= BATCH * SPATIAL.
fn share(k: u32) -> f32 { return f32((BATCH * SPATIAL - k + SPLITS - 1u) / SPLITS * LANES); }

// Partial (c, k): the sum of its elements and their squared deviations from
// their own mean, in one pass over them (Welford's update: each load of x is
// a per-lane gather on SwiftShader, so the pass costs what it loads). With
// vec4s each component keeps its own running mean and M2 over the same
// number of values, merged at the end by the rule stats_finalize uses.
@compute @workgroup_size(256)
fn stats_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= CHANNELS * SPLITS) { return; }
  let c = i / SPLITS;
  let k = i % SPLITS;
  var seen = 0.0;
  var lane_mean = V(0.0);
  var lane_m2 = V(0.0);
  for (var cur = cursor_start(k); cur.n < BATCH; cur = cursor_next(cur)) {
    let v = x[address(cur, c)];
    seen += 1.0;
    let d = v - lane_mean;
    lane_mean += d / seen;
    lane_m2 += d * (v - lane_mean);
  }
  let sum = lane_sum(lane_mean) * seen;
  let spread = lane_mean - V(sum / (seen * f32(LANES)));
  partials_out[i] = vec2f(sum, lane_sum(lane_m2) + seen * lane_sum(spread * spread));
}

// Channel c's batch mean and biased variance from its partials; saves mean and
// invstd and, if asked, moves the running statistics towards the batch ones
// (the running variance takes the unbiased estimate, as PyTorch does).
@compute @workgroup_size(256)
fn stats_finalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = index(gid, nwg);
  if (c >= CHANNELS) { return; }
  let count = f32(BATCH * SPATIAL * LANES);
  let first = c * SPLITS;
  var sum = 0.0;
  for (var k = 0u; k < SPLITS; k += 1u) {
    sum += partials[first + k].x;
  }
  let mu = sum / count;
  var m2 = 0.0;
  for (var k = 0u; k < SPLITS; k += 1u) {
    let part = partials[first + k];
    let n_k = share(k);
    let d = part.x / n_k - mu;
    m2 += part.y + n_k * d * d;
  }
  let variance = m2 / count;
  mean_out[c] = mu;
  invstd_out[c] = 1.0 / sqrt(variance + EPS);
  if (UPDATE_RUNNING) {
    let unbiased = m2 / (count - 1.0);
    running_mean[c] = (1.0 - MOMENTUM) * running_mean[c] + MOMENTUM * mu;
    running_var[c] = (1.0 - MOMENTUM) * running_var[c] + MOMENTUM * unbiased;
  }
}

// Evaluation: mean and invstd from the running statistics, one invocation per channel.
@compute @workgroup_size(256)
fn eval_stats(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = index(gid, nwg);
  if (c >= CHANNELS) { return; }
  mean_out[c] = running_mean[c];
  invstd_out[c] = 1.0 / sqrt(running_var[c] + EPS);
}

// Channel c's statistics and affine parameters, loaded once per invocation
// (each load at a run-time index is a gather on SwiftShader).
struct Channel { mean: f32, invstd: f32, scale: f32, shift: f32 }

fn channel(c: u32) -> Channel {
  return Channel(mean[c], invstd[c], select(1.0, weight[c], HAS_WEIGHT), select(0.0, bias[c], HAS_BIAS));
}

// The normalised value z = (x - mean) * invstd * weight + bias of element value v.
fn normalized(v: V, ch: Channel) -> V { return (v - ch.mean) * ch.invstd * ch.scale + ch.shift; }

// What a fused rectifier passes back of the gradient g at element value v:
// all of it where z > 0 (as leaky_relu_backward), z computed only when there
// is a rectifier.
fn rectified_grad(g: V, v: V, ch: Channel) -> V {
  if (!RECTIFY) { return g; }
  return select(SLOPE * g, g, normalized(v, ch) > V(0.0));
}

// y = z, or the fused rectifier's z > 0 ? z : slope * z. The backward kernels
// recompute z from x (the same expression), so the rectifier's input need not
// be stored.
@compute @workgroup_size(256)
fn normalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= N) { return; }
  let z = normalized(x[i], channel(channel_of(i)));
  // z < 0 rather than z > 0: SLOPE is a constant here, and with SLOPE = 0 the
  // compiler folds SLOPE * z to 0, so a NaN must take the other branch.
  y[i] = select(z, select(z, SLOPE * z, z < V(0.0)), RECTIFY);
}

// Partial (c, k) of Σ dy and Σ dy * xhat, where xhat = (x - mean) * invstd
// (dy being the gradient below the fused rectifier, when there is one).
@compute @workgroup_size(256)
fn backward_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= CHANNELS * SPLITS) { return; }
  let c = i / SPLITS;
  let k = i % SPLITS;
  let ch = channel(c);
  var sums = vec2f(0.0);
  for (var cur = cursor_start(k); cur.n < BATCH; cur = cursor_next(cur)) {
    let at = address(cur, c);
    let v = x[at];
    let g = rectified_grad(dy[at], v, ch);
    sums += vec2f(lane_sum(g), lane_sum(g * (v - ch.mean) * ch.invstd));
  }
  partials_out[i] = sums;
}

@compute @workgroup_size(256)
fn backward_finalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = index(gid, nwg);
  if (c >= CHANNELS) { return; }
  var sums = vec2f(0.0);
  for (var k = 0u; k < SPLITS; k += 1u) {
    sums += partials[c * SPLITS + k];
  }
  sum_dy_out[c] = sums.x;
  sum_dy_xhat_out[c] = sums.y;
}

// dx = weight * invstd * (dy - (Σ dy + xhat Σ dy xhat) / count) in training,
// where the batch statistics depend on x; dx = weight * invstd * dy in evaluation.
@compute @workgroup_size(256)
fn backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= N) { return; }
  let c = channel_of(i);
  let ch = channel(c);
  let count = f32(BATCH * SPATIAL * LANES);
  let sums = select(vec2f(0.0), vec2f(sum_dy[c], sum_dy_xhat[c]) / count, TRAIN);
  let v = x[i];
  var g = rectified_grad(dy[i], v, ch);
  if (TRAIN) {
    g -= sums.x + (v - ch.mean) * ch.invstd * sums.y;
  }
  dx[i] = ch.scale * ch.invstd * g;
}
