// The cross-runner check's workload: a tiny-preset OCGAN trained for a few
// iterations from a fixed seed on synthetic digits, then novelty scores of
// held-out images. Both runners compute it (the page through window.__trace,
// Node in test/node.ts) and test/run.mjs compares the two within float
// tolerance: same engine, same seed, so the same numbers on either host.
import { setup } from "./setup.js";
import { manualSeed } from "../src/index.js";
import { makeConfig } from "../src/ocgan/config.js";
import { OcganModel, LOSS_NAMES } from "../src/ocgan/step.js";
import { train } from "../src/ocgan/train.js";
import { syntheticDataset, splitDigit, toModelInput } from "../src/ocgan/data.js";
import { noveltyScores } from "../src/ocgan/score.js";

export interface RunnerTrace {
  adapter: string;
  /** One row per iteration, in LOSS_NAMES order. */
  losses: number[][];
  validationMse: number[];
  /** Novelty scores of the digit's test images and of other digits' images. */
  scores: number[];
}

export async function runnerTrace(): Promise<RunnerTrace> {
  const info = await setup();
  const dataset = syntheticDataset([30, 30, 30, 30, 30, 30, 30, 30, 30, 30], 7);
  const digit = 4;
  const split = splitDigit(dataset, digit);
  const data = { train: toModelInput(dataset.images, split.train), validation: toModelInput(dataset.images, split.validation) };
  manualSeed(5);
  // 2 epochs, the second with mining: every one of the four steps is compared.
  const model = new OcganModel(makeConfig("tiny", { digit, seed: 5, epochs: 2, batch: 8, warmupEpochs: 1, miningSteps: 2 }));
  const losses: number[][] = [];
  const validationMse: number[] = [];
  try {
    await train(model, data, {
      now: () => performance.now(),
      onIteration: (i) => void losses.push(LOSS_NAMES.map((n) => i.losses[n])),
      onEpoch: (e) => void validationMse.push(e.validationMse),
    });
    const others = Array.from({ length: 20 }, (_, k) => k * 15); // the first 300 images hold every digit
    const images = toModelInput(dataset.images, [...split.test, ...others]);
    const scores = [...(await noveltyScores(model.nets.En, model.nets.De, images))];
    const adapter = [info.vendor, info.architecture, info.description].filter(Boolean).join(" / ");
    return { adapter, losses, validationMse, scores };
  } finally {
    model.dispose();
  }
}
