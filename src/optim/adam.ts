// torch.optim.Adam: one fused dispatch per parameter tensor (shaders/adam.wgsl).
import { runtime, laneVariants } from "../gpu/index.js";
import { keep } from "../autograd/scope.js";
import { noGrad, type Tensor } from "../autograd/tensor.js";
import { zeros } from "../ops/creation.js";
import { launchOverLanes } from "../ops/launch.js";
import adamWgsl from "../../shaders/adam.wgsl";

const adamSource = laneVariants("adam.wgsl", adamWgsl);

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam {
  readonly params: Tensor[];
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** Steps taken so far (PyTorch's `state['step']`, shared by every parameter here). */
  stepCount = 0;
  readonly m: Tensor[];
  readonly v: Tensor[];

  constructor(params: Iterable<Tensor>, { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 }: AdamOptions = {}) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error("Adam: got an empty parameter list");
    if (!(lr >= 0)) throw new Error(`Adam: invalid learning rate ${lr}`);
    for (const b of betas) if (!(b >= 0 && b < 1)) throw new Error(`Adam: invalid beta ${b}, must be in [0, 1)`);
    this.params.forEach((p, i) => {
      if (!p.requiresGrad) throw new Error(`Adam: parameter ${i} (shape [${p.shape}]) does not require grad`);
    });
    this.lr = lr;
    this.betas = betas;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.m = this.params.map((p) => keep(zeros(p.shape)));
    this.v = this.params.map((p) => keep(zeros(p.shape)));
  }

  /**
   * Updates every parameter that has a gradient; parameters without one are left
   * as they are. A step ends a unit of work, so everything recorded is submitted:
   * that bounds memory (freed buffers become reusable at submit) and keeps the GPU busy.
   */
  step(): void {
    this.stepCount++;
    const [beta1, beta2] = this.betas;
    const t = this.stepCount;
    noGrad(() => {
      this.params.forEach((param, i) => {
        if (!param.grad) return;
        launchOverLanes(
          adamSource,
          "adam_step",
          { param: param.buffer, grad: param.grad.buffer, m: this.m[i].buffer, v: this.v[i].buffer },
          { lr: this.lr, beta1, beta2, eps: this.eps, weightDecay: this.weightDecay, bc1: 1 - beta1 ** t, sqrtBc2: Math.sqrt(1 - beta2 ** t) },
          param.size,
        );
      });
    });
    runtime().flush();
  }

  /** Frees every parameter's gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  dispose(): void {
    this.zeroGrad();
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
