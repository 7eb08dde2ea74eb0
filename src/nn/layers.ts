// The layers OCGAN is built from. Default initialisation follows PyTorch
// (uniform in +-1/sqrt(fan_in) for weights and biases); OCGAN re-initialises
// with N(0, 0.02) as its paper does.
import { empty, type Tensor } from "../autograd/tensor.js";
import * as F from "../ops/functional.js";
import { Module } from "./module.js";
import { fanIn, uniform_ } from "./init.js";
import { ones, zeros } from "../ops/creation.js";

type Pair = number | [number, number];

function defaultInit(weight: Tensor, bias: Tensor | null, transposed = false): void {
  const bound = 1 / Math.sqrt(fanIn(weight.shape, transposed));
  uniform_(weight, -bound, bound);
  if (bias) uniform_(bias, -bound, bound);
}

export interface ConvOptions {
  stride?: Pair;
  padding?: Pair;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(inChannels: number, outChannels: number, kernelSize: number, readonly options: ConvOptions = {}) {
    super();
    this.weight = this.registerParameter("weight", empty([outChannels, inChannels, kernelSize, kernelSize]));
    this.bias = options.bias === false ? null : this.registerParameter("bias", empty([outChannels]));
    defaultInit(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias ?? undefined, this.options);
  }
}

export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(inChannels: number, outChannels: number, kernelSize: number, readonly options: ConvOptions = {}) {
    super();
    this.weight = this.registerParameter("weight", empty([inChannels, outChannels, kernelSize, kernelSize]));
    this.bias = options.bias === false ? null : this.registerParameter("bias", empty([outChannels]));
    defaultInit(this.weight, this.bias, true);
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias ?? undefined, this.options);
  }
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    this.weight = this.registerParameter("weight", empty([outFeatures, inFeatures]));
    this.bias = options.bias === false ? null : this.registerParameter("bias", empty([outFeatures]));
    defaultInit(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias ?? undefined);
  }
}

/** Batch norm over dim 1 of [N, C] (BatchNorm1d) or [N, C, H, W] (BatchNorm2d) inputs. */
export class BatchNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  constructor(readonly numFeatures: number, readonly rank: 2 | 4, readonly momentum = 0.1, readonly eps = 1e-5) {
    super();
    this.weight = this.registerParameter("weight", ones([numFeatures]));
    this.bias = this.registerParameter("bias", zeros([numFeatures]));
    this.runningMean = this.registerBuffer("running_mean", zeros([numFeatures]));
    this.runningVar = this.registerBuffer("running_var", ones([numFeatures]));
  }
  /** `rectifierSlope`: a leaky ReLU (0: ReLU) that follows, fused into the same passes (Sequential does this). */
  forward(x: Tensor, rectifierSlope: number | null = null): Tensor {
    if (x.shape.length !== this.rank) {
      throw new Error(`${this.constructor.name}: expected a rank-${this.rank} input, got shape [${x.shape}]`);
    }
    return F.batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, this.training, this.momentum, this.eps, rectifierSlope);
  }
}

export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, momentum = 0.1, eps = 1e-5) {
    super(numFeatures, 2, momentum, eps);
  }
}

export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, momentum = 0.1, eps = 1e-5) {
    super(numFeatures, 4, momentum, eps);
  }
}

/** A parameter-free layer wrapping one function, so activations can sit in a Sequential. */
export class Lambda extends Module {
  constructor(readonly name: string, readonly fn: (x: Tensor) => Tensor) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}

/** ReLU (slope 0) and LeakyReLU: a Sequential fuses one that follows a BatchNorm into it. */
export class Rectifier extends Module {
  constructor(readonly slope: number) {
    super();
  }
  get name(): string {
    return this.slope === 0 ? "ReLU" : `LeakyReLU(${this.slope})`;
  }
  forward(x: Tensor): Tensor {
    return this.slope === 0 ? F.relu(x) : F.leakyRelu(x, this.slope);
  }
}

// The activations are classes, as in PyTorch: `new nn.ReLU()`, `new nn.LeakyReLU(0.2)`.
export class ReLU extends Rectifier {
  constructor() {
    super(0);
  }
}

export class LeakyReLU extends Rectifier {
  constructor(slope = 0.01) {
    super(slope);
  }
}

export class Tanh extends Lambda {
  constructor() {
    super("Tanh", F.tanh);
  }
}

export class Sigmoid extends Lambda {
  constructor() {
    super("Sigmoid", F.sigmoid);
  }
}

/** As torch's nn.Flatten(start_dim=1, end_dim=-1): keeps the batch dimension, unlike F.flatten's default. */
export class Flatten extends Lambda {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super("Flatten", (x) => F.flatten(x, startDim, endDim));
  }
}

export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((layer, i) => this.registerModule(String(i), layer));
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      const next = this.layers[i + 1];
      if (layer instanceof BatchNorm && next instanceof Rectifier) {
        h = layer.forward(h, next.slope); // one set of passes for both layers
        i++;
      } else {
        h = layer.forward(h);
      }
    }
    return h;
  }
}

