// The same OCGAN iteration written with TensorFlow.js 4.22, for comparison on
// the same adapter (its 'webgpu' backend) and on its plain JavaScript 'cpu'
// backend. Same networks (ocgan-spec.md, as src/ocgan/networks.ts builds them:
// same layers, biases only where the engine has them, same initialisation),
// same four steps with the same frozen networks, K mining steps on the latent,
// batch 64, Adam (2e-4, 0.5, 0.999), and one readback of the six losses per
// iteration. TF.js works in NHWC, its native layout; k4 s2 p1 convolutions are
// 'same' padding (pad 1 on each side for a 4x4 kernel at stride 2) and the
// k4 s1 p0 ones 'valid'.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { median, now } from "./timing.js";

export interface TfjsConfig {
  name: string;
  base: number;
  visualBase: number;
  latent: number;
  batch: number;
  miningSteps: number;
  miningLr: number;
  lambda: number;
  sigma: number;
}

type Act = "lrelu" | "relu" | "tanh" | "none";

/** One network: a list of layers applied in order. */
interface Layer {
  apply(x: tf.Tensor, training: boolean): tf.Tensor;
  vars: tf.Variable[];
}

const normal = (shape: number[], mean: number, std: number) => tf.variable(tf.randomNormal(shape, mean, std));
const zerosVar = (shape: number[], trainable = true) => tf.variable(tf.zeros(shape), trainable);

function activation(a: Act): Layer {
  const fn = (x: tf.Tensor): tf.Tensor =>
    a === "lrelu" ? tf.leakyRelu(x, 0.2) : a === "relu" ? tf.relu(x) : a === "tanh" ? tf.tanh(x) : x;
  return { apply: fn, vars: [] };
}

function conv(cin: number, cout: number, stride: 1 | 2, bias: boolean): Layer {
  const w = normal([4, 4, cin, cout], 0, 0.02);
  const b = bias ? zerosVar([cout]) : null;
  const pad = stride === 2 ? "same" : "valid";
  return {
    apply: (x) => {
      const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad);
      return b ? tf.add(y, b) : y;
    },
    vars: b ? [w, b] : [w],
  };
}

function convT(cin: number, cout: number, stride: 1 | 2, bias: boolean): Layer {
  const w = normal([4, 4, cout, cin], 0, 0.02);
  const b = bias ? zerosVar([cout]) : null;
  const pad = stride === 2 ? "same" : "valid";
  return {
    apply: (x) => {
      const [n, h] = x.shape;
      const hout = stride === 2 ? 2 * h! : h! + 3;
      const y = tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [n!, hout, hout, cout], stride, pad);
      return b ? tf.add(y, b) : y;
    },
    vars: b ? [w, b] : [w],
  };
}

function linear(cin: number, cout: number): Layer {
  const w = normal([cin, cout], 0, 0.02);
  const b = zerosVar([cout]);
  return { apply: (x) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b), vars: [w, b] };
}

/** Batch norm over every axis but the channels (last, NHWC); training mode updates the running statistics. */
function batchNorm(c: number): Layer {
  const gamma = normal([c], 1, 0.02);
  const beta = zerosVar([c]);
  const runningMean = zerosVar([c], false);
  const runningVar = tf.variable(tf.ones([c]), false);
  return {
    apply: (x, training) => {
      if (!training) return tf.batchNorm(x, runningMean, runningVar, beta, gamma, 1e-5);
      const axes = x.rank === 4 ? [0, 1, 2] : [0];
      const { mean, variance } = tf.moments(x, axes);
      const count = x.size / c;
      runningMean.assign(tf.add(tf.mul(runningMean, 0.9), tf.mul(mean, 0.1)));
      runningVar.assign(tf.add(tf.mul(runningVar, 0.9), tf.mul(variance, 0.1 * count / (count - 1))));
      return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
    },
    vars: [gamma, beta, runningMean, runningVar],
  };
}

class Net {
  constructor(readonly layers: Layer[]) {}
  forward(x: tf.Tensor, training = true): tf.Tensor {
    let h = x;
    for (const l of this.layers) h = l.apply(h, training);
    return h;
  }
  get trainable(): tf.Variable[] {
    return this.layers.flatMap((l) => l.vars).filter((v) => v.trainable);
  }
  dispose() {
    for (const l of this.layers) for (const v of l.vars) v.dispose();
  }
}

function downsampler(c: number): Layer[] {
  return [
    conv(1, c, 2, true), activation("lrelu"),
    conv(c, 2 * c, 2, false), batchNorm(2 * c), activation("lrelu"),
    conv(2 * c, 4 * c, 2, false), batchNorm(4 * c), activation("lrelu"),
  ];
}

function buildNets(cfg: TfjsConfig) {
  const { base: C, latent: d } = cfg;
  const dl: Layer[] = [{ apply: (z) => tf.reshape(z, [z.shape[0], -1]), vars: [] }];
  const widths = [d, 128, 64, 32, 16];
  for (let i = 0; i + 1 < widths.length; i++) dl.push(linear(widths[i], widths[i + 1]), batchNorm(widths[i + 1]), activation("relu"));
  dl.push(linear(16, 1));
  return {
    En: new Net([...downsampler(C), conv(4 * C, d, 1, false), batchNorm(d), activation("tanh")]),
    De: new Net([
      convT(d, 4 * C, 1, false), batchNorm(4 * C), activation("relu"),
      convT(4 * C, 2 * C, 2, false), batchNorm(2 * C), activation("relu"),
      convT(2 * C, C, 2, false), batchNorm(C), activation("relu"),
      convT(C, 1, 2, true), activation("tanh"),
    ]),
    Dl: new Net(dl),
    Dv: new Net([...downsampler(cfg.visualBase), conv(4 * cfg.visualBase, 1, 1, true)]),
    Cl: new Net([...downsampler(C), conv(4 * C, 1, 1, true)]),
  };
}

/** Numerically stable mean BCE on logits: max(z, 0) - z t + log(1 + exp(-|z|)). */
function bce(logits: tf.Tensor, target: 0 | 1): tf.Scalar {
  const z = logits;
  const softplus = tf.log1p(tf.exp(tf.neg(tf.abs(z))));
  const core = target === 1 ? tf.sub(tf.relu(z), z) : tf.relu(z);
  return tf.mean(tf.add(core, softplus));
}

export class TfjsOcgan {
  readonly nets: ReturnType<typeof buildNets>;
  readonly opt: Record<"generator" | "Dl" | "Dv" | "Cl", tf.Optimizer>;
  readonly x: tf.Tensor4D;

  constructor(readonly cfg: TfjsConfig) {
    this.nets = buildNets(cfg);
    const adam = () => tf.train.adam(2e-4, 0.5, 0.999, 1e-8);
    this.opt = { generator: adam(), Dl: adam(), Dv: adam(), Cl: adam() };
    this.x = tf.randomUniform([cfg.batch, 32, 32, 1], -1, 1) as tf.Tensor4D;
  }

  /** One iteration (mining on); returns the six losses as one tensor (the caller reads it back). */
  iteration(): tf.Tensor {
    const { En, De, Dl, Dv, Cl } = this.nets;
    const { batch: B, latent: d, sigma, miningSteps, miningLr, lambda } = this.cfg;
    const x = this.x;
    return tf.tidy(() => {
      const noisy = tf.add(x, tf.randomNormal(x.shape, 0, sigma));
      const u = tf.randomUniform([B, 1, 1, d], -1, 1);
      const uPrime = tf.randomUniform([B, 1, 1, d], -1, 1);
      // Forward passes of the frozen En and De, outside any gradient tape.
      const encoded = En.forward(noisy);
      const generated = De.forward(u);

      // 1. Classifier.
      const reconstructed = De.forward(encoded);
      const lCl = this.opt.Cl.minimize(() => tf.add(bce(Cl.forward(reconstructed), 1), bce(Cl.forward(generated), 0)), true, Cl.trainable)!;
      // 2. Discriminators.
      const lDl = this.opt.Dl.minimize(() => tf.add(bce(Dl.forward(uPrime), 1), bce(Dl.forward(encoded), 0)), true, Dl.trainable)!;
      const lDv = this.opt.Dv.minimize(() => tf.add(bce(Dv.forward(x), 1), bce(Dv.forward(generated), 0)), true, Dv.trainable)!;
      // 3. Mining: gradient steps on the latent only (the weights are not differentiated).
      const score = tf.grad((l: tf.Tensor) => tf.mul(bce(Cl.forward(De.forward(l)), 0), B));
      let l: tf.Tensor = u;
      for (let k = 0; k < miningSteps; k++) l = tf.clipByValue(tf.sub(l, tf.mul(score(l), miningLr)), -1, 1);
      // 4. Generator: En and De train; Dl, Dv and Cl are only differentiated through.
      const parts: tf.Scalar[] = [];
      const lGen = this.opt.generator.minimize(() => {
        const z = En.forward(noisy);
        const mse = tf.mean(tf.squaredDifference(De.forward(z), x)) as tf.Scalar;
        const gl = bce(Dl.forward(z), 1);
        const gv = bce(Dv.forward(De.forward(l)), 1);
        parts.push(tf.keep(mse), tf.keep(gl), tf.keep(gv));
        return tf.add(tf.add(tf.mul(mse, lambda), gl), gv) as tf.Scalar;
      }, true, [...En.trainable, ...De.trainable])!;
      lGen.dispose();
      const losses = tf.stack([lCl, lDl, lDv, ...parts]);
      for (const p of parts) p.dispose(); // kept out of minimize's scope above
      return losses;
    });
  }

  dispose() {
    for (const n of Object.values(this.nets)) n.dispose();
    for (const o of Object.values(this.opt)) o.dispose();
    this.x.dispose();
  }
}

export interface TfjsResult {
  backend: string;
  config: TfjsConfig;
  warmupMs: number;
  iterations: number;
  ms: number;
  samplesMs: number[];
  lossesFinite: boolean;
  /** Trainable parameters of the five networks. */
  parameters: number;
  adapter?: Record<string, unknown>;
  /** The engine's FMA probe around this run (filled in by page.ts): the machine's load then. */
  spotFmaGflops?: number;
  error?: string;
}

/** Times `iterations` TF.js OCGAN iterations on `backend` after one warm-up iteration. */
export async function benchTfjs(backend: "webgpu" | "cpu", cfg: TfjsConfig, iterations: number, log: (line: string) => void): Promise<TfjsResult> {
  const result: TfjsResult = { backend, config: cfg, warmupMs: NaN, iterations, ms: NaN, samplesMs: [], lossesFinite: true, parameters: 0 };
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend '${backend}' could not be initialised`);
  await tf.ready();
  if (backend === "webgpu") {
    const info = (tf.backend() as unknown as { adapterInfo?: object }).adapterInfo;
    if (info) result.adapter = { ...info };
  }
  const model = new TfjsOcgan(cfg);
  result.parameters = Object.values(model.nets).reduce((n, net) => n + net.trainable.reduce((m, v) => m + v.size, 0), 0);
  const once = async () => {
    const t = now();
    const losses = model.iteration();
    const values = await losses.data();
    losses.dispose();
    result.lossesFinite &&= Array.from(values).every(Number.isFinite);
    return now() - t;
  };
  try {
    log(`  tfjs ${backend} ${cfg.name}: warm-up iteration...`);
    result.warmupMs = await once();
    log(`  tfjs ${backend} ${cfg.name}: warm-up ${(result.warmupMs / 1000).toFixed(1)} s`);
    for (let i = 0; i < iterations; i++) {
      result.samplesMs.push(await once());
      log(`  tfjs ${backend} ${cfg.name}: iteration ${i + 1}/${iterations}: ${(result.samplesMs[i] / 1000).toFixed(1)} s`);
    }
    result.ms = median(result.samplesMs);
  } finally {
    model.dispose();
  }
  return result;
}
