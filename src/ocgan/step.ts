// One OCGAN training iteration: the spec's four steps, in order.
//   1. classifier: Cl learns De(En(x + n)) = in-class, De(u) = generated
//   2. discriminators: Dl tells u' from En(x + n); Dv tells x from De(u)
//   3. informative-negative mining: K gradient steps on the latent l (from u)
//      that lower Cl's in-class score of De(l); only l moves
//   4. generator: En and De minimise lambda * MSE(x, De(En(x + n)))
//      + latentWeight * BCE(Dl(En(x + n)), 1) + BCE(Dv(De(l)), 1)
// The frozen networks of a step have requiresGrad off, so backward computes no
// weight gradient for them. Everything is recorded on the GPU; the only value a
// caller reads back is the vector of the six losses.
import { Tensor, noGrad } from "../autograd/tensor.js";
import { scope, keep } from "../autograd/scope.js";
import * as F from "../ops/functional.js";
import { add, mul, sub, concat, reshape } from "../ops/functional.js";
import { rand, randn, manualSeed } from "../ops/random.js";
import { zeros } from "../ops/creation.js";
import { Adam } from "../optim/adam.js";
import type { Module } from "../nn/index.js";
import { trainingSeed, type OcganConfig } from "./config.js";
import { buildNetworks, disposeNetworks, type Networks } from "./networks.js";

/** The order of the losses in the vector every iteration returns. */
export const LOSS_NAMES = ["classifier", "latentDisc", "visualDisc", "genMse", "genLatent", "genVisual"] as const;
export type LossName = (typeof LOSS_NAMES)[number];

export interface Optimisers {
  generator: Adam;
  Dl: Adam;
  Dv: Adam;
  Cl: Adam;
}

const bce = (logits: Tensor, target: number) => F.bceWithLogits(logits, target);

/** Runs fn with the given networks' parameters frozen (no weight gradients recorded). */
function frozen<T>(nets: Module[], fn: () => T): T {
  for (const n of nets) n.requiresGrad_(false);
  try {
    return fn();
  } finally {
    for (const n of nets) n.requiresGrad_(true);
  }
}

export class OcganModel {
  readonly nets: Networks;
  readonly opt: Optimisers;
  /**
   * Called with the generator's total loss just before its backward, while the
   * recorded graph is still whole (the app draws it from here); null by default.
   */
  onGeneratorLoss: ((loss: Tensor) => void) | null = null;

  constructor(readonly config: OcganConfig) {
    // The initial weights depend on the config's seed and digit alone, not on what ran before in the process.
    manualSeed(trainingSeed(config));
    this.nets = buildNetworks(config);
    const { En, De, Dl, Dv, Cl } = this.nets;
    const adam = { lr: config.lr, betas: [config.beta1, config.beta2] as [number, number] };
    this.opt = {
      generator: new Adam([...En.parameters(), ...De.parameters()], adam),
      Dl: new Adam(Dl.parameters(), adam),
      Dv: new Adam(Dv.parameters(), adam),
      Cl: new Adam(Cl.parameters(), adam),
    };
  }

  /** Every network's parameters and batch-norm statistics, and the optimisers' moments, by name. */
  state(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [netName, net] of Object.entries(this.nets) as [string, Module][]) {
      for (const [name, t] of net.stateDict()) out.set(`${netName}.${name}`, t);
    }
    for (const [optName, opt] of Object.entries(this.opt) as [string, Adam][]) {
      opt.m.forEach((t, i) => out.set(`opt.${optName}.m.${i}`, t));
      opt.v.forEach((t, i) => out.set(`opt.${optName}.v.${i}`, t));
    }
    return out;
  }

  dispose(): void {
    for (const opt of Object.values(this.opt) as Adam[]) opt.dispose();
    disposeNetworks(this.nets);
  }

  /**
   * Informative-negative mining: K steps of gradient descent on the latent, on
   * the sum over the batch of BCE(Cl(De(l)), 0), i.e. lowering the classifier's
   * in-class score of each decoded image; l is clamped to [-1, 1] after each step.
   * Returns the mined latents (a new tensor; `start` is untouched).
   */
  mine(start: Tensor): Tensor {
    const { De, Cl } = this.nets;
    const { miningSteps, miningLr } = this.config;
    return frozen([De, Cl], () => {
      let l = start.detach();
      for (let k = 0; k < miningSteps; k++) {
        const next: Tensor = scope(() => {
          const leaf = l.detach();
          leaf.requiresGrad = true;
          // Summed over the batch, so each latent's step does not shrink with the batch size.
          mul(bce(Cl.forward(De.forward(leaf)), 0), leaf.shape[0]).backward();
          const grad = leaf.grad!;
          const stepped = noGrad(() => F.clamp(sub(leaf, mul(grad, miningLr)), -1, 1));
          grad.dispose();
          leaf.grad = null;
          return stepped;
        });
        l.dispose();
        l = next;
      }
      return l;
    });
  }

  /**
   * One iteration on a batch x of in-class images [B, 1, 32, 32] in [-1, 1].
   * `mining` says whether the warm-up is over. Returns the six losses (LOSS_NAMES
   * order, 0 for a component that is switched off) as one GPU tensor of shape [6].
   */
  iteration(x: Tensor, mining: boolean): Tensor {
    const c = this.config;
    const { En, De, Dl, Dv, Cl } = this.nets;
    const batch = x.shape[0];
    return keep(
      scope(() => {
        const zero = () => zeros([]);
        const noisy = c.sigma > 0 ? add(x, randn(x.shape, { std: c.sigma })) : x;
        const u = rand([batch, c.latent, 1, 1], { lo: -1, hi: 1 });
        const uPrime = rand([batch, c.latent, 1, 1], { lo: -1, hi: 1 });

        // What steps 1 and 2 see of the frozen En and De, computed once.
        const needsGenerated = c.classifier || c.visualDisc;
        const encoded = c.classifier || c.latentDisc ? noGrad(() => En.forward(noisy)) : null;
        const generated = needsGenerated ? noGrad(() => De.forward(u)) : null;

        // 1. Classifier step.
        let classifierLoss = zero();
        if (c.classifier) {
          const reconstructed = noGrad(() => De.forward(encoded!));
          this.opt.Cl.zeroGrad();
          classifierLoss = add(bce(Cl.forward(reconstructed), 1), bce(Cl.forward(generated!), 0));
          classifierLoss.backward();
          this.opt.Cl.step();
        }

        // 2. Discriminator steps.
        let latentLoss = zero();
        if (c.latentDisc) {
          this.opt.Dl.zeroGrad();
          latentLoss = add(bce(Dl.forward(uPrime), 1), bce(Dl.forward(encoded!), 0));
          latentLoss.backward();
          this.opt.Dl.step();
        }
        let visualLoss = zero();
        if (c.visualDisc) {
          this.opt.Dv.zeroGrad();
          visualLoss = add(bce(Dv.forward(x), 1), bce(Dv.forward(generated!), 0));
          visualLoss.backward();
          this.opt.Dv.step();
        }

        // 3. Informative-negative mining (after the warm-up).
        const negatives = c.classifier && mining ? this.mine(u) : u;

        // 4. Generator step.
        return frozen([Dl, Dv, Cl], () => {
          this.opt.generator.zeroGrad();
          const z = En.forward(noisy);
          const mse = F.mseLoss(De.forward(z), x);
          let total = mul(mse, c.lambda);
          let genLatent = zero();
          let genVisual = zero();
          if (c.latentDisc) {
            genLatent = bce(Dl.forward(z), 1);
            total = add(total, c.latentWeight === 1 ? genLatent : mul(genLatent, c.latentWeight));
          }
          if (c.visualDisc) total = add(total, (genVisual = bce(Dv.forward(De.forward(negatives)), 1)));
          this.onGeneratorLoss?.(total);
          total.backward();
          this.opt.generator.step();
          const parts = [classifierLoss, latentLoss, visualLoss, mse, genLatent, genVisual];
          return noGrad(() => concat(parts.map((p) => reshape(p, [1])), 0));
        });
      }),
    );
  }
}
