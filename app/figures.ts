// What the training view shows of a model between iterations, computed on the
// GPU in one go and read back once: reconstructions of in-class and
// out-of-class test digits, images decoded from fixed random latents, the same
// latents after informative-negative mining, and the classifier's in-class
// score of the decoded images before and after mining. Networks run in eval
// mode (batch-norm running statistics, as scoring does) and are put back in
// the mode they were in.
import { fromData, noGrad, type Tensor } from "../src/autograd/tensor.js";
import { scope } from "../src/autograd/scope.js";
import { concat, reshape, sigmoid } from "../src/ops/functional.js";
import { rand } from "../src/ops/random.js";
import { splitDigit, toModelInput, type MnistDataset } from "../src/ocgan/data.js";
import type { OcganModel } from "../src/ocgan/step.js";
import type { Module } from "../src/nn/index.js";

const PX = 32 * 32;
export const IN_CLASS = 8;
export const RANDOM = 16;

export interface Figures {
  inClass: Float32Array;
  inClassRecon: Float32Array;
  /** One test image of each other digit (9), in digit order. */
  outClass: Float32Array;
  outClassRecon: Float32Array;
  outDigits: number[];
  /** De(u) for RANDOM fixed latents u. */
  decoded: Float32Array;
  /** De(mine(u)) for the same latents, when the model has a classifier. */
  mined: Float32Array | null;
  /** sigmoid(Cl(.)) of decoded and mined, when the model has a classifier. */
  scoreBefore: Float32Array | null;
  scoreAfter: Float32Array | null;
}

/** Runs fn with every network in eval mode; restores each network's own mode afterwards (fn must be synchronous). */
export function inEvalMode<T>(nets: Module[], fn: () => T): T {
  const modes = nets.map((n) => n.training);
  for (const n of nets) n.eval();
  try {
    return fn();
  } finally {
    nets.forEach((n, i) => n.train(modes[i]));
  }
}

export class FigureSampler {
  readonly inputs: Float32Array;
  readonly outDigits: number[];

  constructor(dataset: MnistDataset, readonly digit: number, readonly seed: number) {
    const inClass = splitDigit(dataset, digit).test.slice(0, IN_CLASS);
    this.outDigits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((d) => d !== digit);
    const outClass = this.outDigits.map((d) => splitDigit(dataset, d).test[0]);
    this.inputs = toModelInput(dataset.images, [...inClass, ...outClass]);
  }

  async sample(model: OcganModel): Promise<Figures> {
    const { En, De, Cl } = model.nets;
    const c = model.config;
    const n = this.inputs.length / PX;
    const withClassifier = c.classifier;
    const all: Tensor = inEvalMode(Object.values(model.nets) as Module[], () =>
      scope(() => {
        const x = fromData(this.inputs, [n, 1, 32, 32]);
        // A fixed seed: the same latents at every refresh, so one sees them change as training goes.
        const u = rand([RANDOM, c.latent, 1, 1], { lo: -1, hi: 1, seed: this.seed + 1 });
        const recon = noGrad(() => De.forward(En.forward(x)));
        const decoded = noGrad(() => De.forward(u));
        const parts = [recon, decoded];
        if (withClassifier) {
          const latents = model.mine(u); // mining records its own small graphs: not inside noGrad
          const mined = noGrad(() => De.forward(latents));
          parts.push(mined, noGrad(() => sigmoid(Cl.forward(decoded))), noGrad(() => sigmoid(Cl.forward(mined))));
        }
        return noGrad(() => concat(parts.map((p) => reshape(p, [p.size])), 0));
      }),
    );
    const values = await all.toArray();
    all.dispose();
    let at = 0;
    const take = (count: number) => values.slice(at, (at += count));
    const inClass = this.inputs.slice(0, IN_CLASS * PX);
    const outClass = this.inputs.slice(IN_CLASS * PX);
    const inClassRecon = take(IN_CLASS * PX);
    const outClassRecon = take((n - IN_CLASS) * PX);
    const decoded = take(RANDOM * PX);
    const mined = withClassifier ? take(RANDOM * PX) : null;
    const scoreBefore = withClassifier ? take(RANDOM) : null;
    const scoreAfter = withClassifier ? take(RANDOM) : null;
    return { inClass, inClassRecon, outClass, outClassRecon, outDigits: this.outDigits, decoded, mined, scoreBefore, scoreAfter };
  }
}
