// Batch normalisation, as torch.nn.functional.batch_norm.
//
// Forward: each channel's mean and invstd = 1 / sqrt(var + eps), from the
// batch in training (two passes: partial sums, then one invocation per channel
// that also updates the running statistics in place) or from the running
// statistics in evaluation; then an elementwise kernel computes
// y = (x - mean) * invstd * weight + bias.
//
// Backward, with xhat = (x - mean) * invstd and m elements per channel:
//   dbias = Σ dy,  dweight = Σ dy * xhat              (per channel, two passes)
//   training:   dx = weight * invstd * (dy - (Σ dy + xhat * Σ dy * xhat) / m)
//   evaluation: dx = weight * invstd * dy              (the statistics are constants)
// The training formula is the derivative through the batch mean and variance.
// shaders/batchnorm.wgsl says how the per-channel sums run and why.
import { record, empty, type Tensor } from "../autograd/tensor.js";
import { laneVariants, lanesFor, type Lanes } from "../gpu/index.js";
import { launchElementwise, laneKernel, shapeString } from "./launch.js";
import batchnormWgsl from "../../shaders/batchnorm.wgsl";

const source = laneVariants("batchnorm.wgsl", batchnormWgsl);

/** Partial sums per channel: enough invocations in all to fill the device... */
const TARGET_INVOCATIONS = 8192;
/** ...but each adding at least this many loads. */
const MIN_PER_INVOCATION = 32;

/** The layer's shape as the shader sees it: n and spatial count V elements, `lanes` to each. */
interface Geometry {
  lanes: Lanes;
  n: number;
  batch: number;
  channels: number;
  spatial: number;
  splits: number;
}

type Flags = Partial<{ eps: number; momentum: number; updateRunning: boolean; hasWeight: boolean; hasBias: boolean; train: boolean; slope: number | null }>;

/**
 * Launches one entry point of batchnorm.wgsl over `invocations`. The shape and
 * `flags` become the shader's overrides (a pipeline per layer and setting);
 * `slope` set fuses a leaky ReLU with that slope (the RECTIFY override).
 */
function run(entry: string, buffers: Record<string, GPUBuffer>, geo: Geometry, flags: Flags, invocations: number): void {
  const constants: Record<string, number> = { N: geo.n, BATCH: geo.batch, CHANNELS: geo.channels, SPATIAL: geo.spatial, SPLITS: geo.splits };
  if (flags.eps !== undefined) constants.EPS = flags.eps;
  if (flags.momentum !== undefined) constants.MOMENTUM = flags.momentum;
  if (flags.updateRunning) constants.UPDATE_RUNNING = 1;
  if (flags.hasWeight) constants.HAS_WEIGHT = 1;
  if (flags.hasBias) constants.HAS_BIAS = 1;
  if (flags.train) constants.TRAIN = 1;
  if (flags.slope !== undefined && flags.slope !== null) Object.assign(constants, { RECTIFY: 1, SLOPE: flags.slope });
  launchElementwise(laneKernel(source, geo.lanes, entry, constants), buffers, {}, invocations);
}

function checkChannelVector(name: string, t: Tensor | null, channels: number, x: Tensor): void {
  if (t && t.size !== channels) {
    throw new Error(`batchNorm: ${name} ${shapeString(t.shape)} must hold one value per channel (${channels}) of input ${shapeString(x.shape)}`);
  }
}

/**
 * Normalises x [N, C, ...] per channel C, exactly as torch.nn.functional.batch_norm.
 * In training, normalises with the batch mean and biased variance and, when the
 * running statistics are given, updates them in place on the GPU:
 * running = (1 - momentum) * running + momentum * batch statistic (unbiased
 * variance for runningVar). In evaluation, normalises with the running statistics.
 * weight and bias [C] are optional (null: 1 and 0).
 *
 * `rectifierSlope`, when given, fuses a leaky ReLU with that slope (0: ReLU)
 * into the same passes: the result is F.leakyRelu(batchNorm(...), slope)
 * without a pass over the data and a stored intermediate for the activation
 * (nn.Sequential fuses a BatchNorm followed by a ReLU or LeakyReLU this way).
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
  rectifierSlope: number | null = null,
): Tensor {
  if (x.shape.length < 2) {
    throw new Error(`batchNorm: input must be [N, C] or [N, C, ...], got ${shapeString(x.shape)}`);
  }
  const [batch, channels] = x.shape;
  const spatial = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const count = batch * spatial; // elements per channel
  checkChannelVector("weight", weight, channels, x);
  checkChannelVector("bias", bias, channels, x);
  checkChannelVector("runningMean", runningMean, channels, x);
  checkChannelVector("runningVar", runningVar, channels, x);
  if ((runningMean === null) !== (runningVar === null)) {
    throw new Error("batchNorm: give both runningMean and runningVar, or neither");
  }
  if (!training && (!runningMean || !runningVar)) {
    throw new Error("batchNorm: evaluation (training = false) needs runningMean and runningVar");
  }
  if (training && count <= 1) {
    throw new Error(`batchNorm: expected more than 1 value per channel when training, got input ${shapeString(x.shape)}`);
  }
  const op = rectifierSlope === null ? "batchNorm" : "batchNormLeakyRelu";
  const y = empty(x.shape, op);
  if (x.size === 0) return y;

  // vec4s of four neighbouring positions where the rows allow it.
  const lanes = lanesFor(spatial);
  const loads = count / lanes; // per channel
  // Partials per channel: never more than its loads (each partial holds at least one).
  const splits = Math.max(1, Math.min(Math.ceil(TARGET_INVOCATIONS / channels), Math.floor(loads / MIN_PER_INVOCATION), loads));
  const geo: Geometry = { lanes, n: x.size / lanes, batch, channels, spatial: spatial / lanes, splits };
  const mean = empty([channels], "batchNorm_mean");
  const invstd = empty([channels], "batchNorm_invstd");
  if (training) {
    const partials = empty([channels, splits, 2], "batchNorm_partials");
    run("stats_partial", { x: x.buffer, partials_out: partials.buffer }, geo, {}, channels * splits);
    // Without running statistics the kernel still needs buffers to bind; it leaves them alone.
    // (Two of them: one buffer may not be bound twice for writing.)
    const scratch = runningMean ? [] : [empty([channels], "batchNorm_scratch"), empty([channels], "batchNorm_scratch")];
    run("stats_finalize", {
      partials: partials.buffer,
      mean_out: mean.buffer,
      invstd_out: invstd.buffer,
      running_mean: (runningMean ?? scratch[0]).buffer,
      running_var: (runningVar ?? scratch[1]).buffer,
    }, geo, { eps, momentum, updateRunning: runningMean !== null }, channels);
    partials.dispose();
    scratch.forEach((t) => t.dispose());
  } else {
    run("eval_stats", { mean_out: mean.buffer, invstd_out: invstd.buffer, running_mean: runningMean!.buffer, running_var: runningVar!.buffer },
      geo, { eps }, channels);
  }

  const affine: Flags = { hasWeight: weight !== null, hasBias: bias !== null, slope: rectifierSlope };
  // A missing weight or bias still needs a buffer bound: x is only read, so it stands in.
  const weightBuffer = (weight ?? x).buffer;
  const biasBuffer = (bias ?? x).buffer;
  run("normalize", { x: x.buffer, mean: mean.buffer, invstd: invstd.buffer, weight: weightBuffer, bias: biasBuffer, y: y.buffer },
    geo, affine, geo.n);

  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  record(op, inputs, y, (dy) => {
    // Σ dy and Σ dy * xhat per channel: the bias and weight gradients, and part of dx in training.
    let sumDy: Tensor | null = null;
    let sumDyXhat: Tensor | null = null;
    if (training || weight?.requiresGrad || bias?.requiresGrad) {
      const partials = empty([channels, splits, 2], "batchNorm_backward_partials");
      run("backward_partial", {
        x: x.buffer, dy: dy.buffer, mean: mean.buffer, invstd: invstd.buffer, weight: weightBuffer, bias: biasBuffer, partials_out: partials.buffer,
      }, geo, affine, channels * splits);
      sumDy = empty([channels], "batchNorm_backward_bias");
      sumDyXhat = empty([channels], "batchNorm_backward_weight");
      run("backward_finalize", { partials: partials.buffer, sum_dy_out: sumDy.buffer, sum_dy_xhat_out: sumDyXhat.buffer },
        geo, {}, channels);
      partials.dispose();
    }
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = empty(x.shape, "batchNorm_backward_x");
      run("backward_input", {
        x: x.buffer, dy: dy.buffer, mean: mean.buffer, invstd: invstd.buffer, weight: weightBuffer, bias: biasBuffer,
        sum_dy: (sumDy ?? mean).buffer, sum_dy_xhat: (sumDyXhat ?? mean).buffer, dx: dx.buffer,
      }, geo, { ...affine, train: training }, geo.n);
    }
    // The tape runs each rule once: the saved statistics are no longer needed.
    mean.dispose();
    invstd.dispose();
    const grads: (Tensor | null)[] = [dx];
    if (weight) grads.push(sumDyXhat);
    else sumDyXhat?.dispose();
    if (bias) grads.push(sumDy);
    else sumDy?.dispose();
    return grads;
  });
  if (!y.backwardRule) {
    // Nothing recorded (no input needs a gradient, or under noGrad): the statistics are done with.
    mean.dispose();
    invstd.dispose();
  }
  return y;
}
