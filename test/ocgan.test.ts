// End to end on the tiny preset and synthetic digits: the four steps run, the
// losses are finite and move, mining does what it says, and a checkpoint
// restores the model exactly.
import { test, assert, assertClose, assertRejects } from "./harness.js";
import { setup } from "./setup.js";
import { fromData } from "../src/autograd/tensor.js";
import { noGrad, scope, rand, F, manualSeed, memoryStats } from "../src/index.js";
import { makeConfig } from "../src/ocgan/config.js";
import { OcganModel, LOSS_NAMES } from "../src/ocgan/step.js";
import { train } from "../src/ocgan/train.js";
import { syntheticDataset, splitDigit, toModelInput } from "../src/ocgan/data.js";
import { saveCheckpoint, loadCheckpoint, stopReason } from "../src/ocgan/checkpoint.js";
import { noveltyScores } from "../src/ocgan/score.js";
import { evaluate } from "../src/ocgan/evaluate.js";

const dataset = syntheticDataset([60, 60, 60, 60, 60, 60, 60, 60, 60, 60], 3);

function trainingData(digit: number) {
  const split = splitDigit(dataset, digit);
  return { train: toModelInput(dataset.images, split.train), validation: toModelInput(dataset.images, split.validation) };
}

test("ocgan: a tiny run has finite losses that move, and every loss is logged", async () => {
  await setup();
  manualSeed(1);
  const model = new OcganModel(makeConfig("tiny", { epochs: 3, batch: 8 }));
  const log: number[][] = [];
  const progress = await train(model, trainingData(8), {
    now: () => performance.now(),
    onIteration: (info) => void log.push(LOSS_NAMES.map((n) => info.losses[n])),
  });
  assert(progress.epoch === 3 && progress.bestValidationMse !== null, `trained 3 epochs: ${JSON.stringify(progress)}`);
  assert(log.length === 3 * 5, `${log.length} iterations logged (5 per epoch: 43 images / batch 8)`);
  assert(log.every((row) => row.every(Number.isFinite)), "every loss finite");
  for (let k = 0; k < LOSS_NAMES.length; k++) {
    assert(log.some((row) => row[k] !== log[0][k]), `loss ${LOSS_NAMES[k]} moves`);
  }
  const mseFirst = log[0][3];
  const mseLast = log[log.length - 1][3];
  assert(mseLast < mseFirst, `reconstruction MSE falls: ${mseFirst} -> ${mseLast}`);
  model.dispose();
});

test("ocgan: mining lowers the classifier's in-class score of the mined images", async () => {
  await setup();
  manualSeed(2);
  const model = new OcganModel(makeConfig("tiny", { epochs: 1, batch: 8, miningSteps: 5 }));
  await train(model, trainingData(3), { now: () => performance.now() });
  const { De, Cl } = model.nets;
  const meanScore = (l: ReturnType<typeof rand>) => noGrad(() => F.mean(F.sigmoid(Cl.forward(De.forward(l)))));
  const [before, after, mined] = scope(() => {
    const u = rand([16, model.config.latent, 1, 1], { lo: -1, hi: 1, seed: 9 });
    const l = model.mine(u);
    return [meanScore(u), meanScore(l), l];
  });
  const b = await before.item();
  const a = await after.item();
  assert(a < b, `mean in-class score before mining ${b}, after ${a}`);
  assert((await mined.toArray()).every((v) => v >= -1 && v <= 1), "mined latents stay in [-1, 1]");
  model.dispose();
});

test("ocgan: save then load gives identical novelty scores; a wrong checkpoint is refused whole", async () => {
  await setup();
  manualSeed(3);
  const config = makeConfig("tiny", { epochs: 1, batch: 8 });
  const model = new OcganModel(config);
  await train(model, trainingData(1), { now: () => performance.now() });
  const images = toModelInput(dataset.images, splitDigit(dataset, 1).test);
  const scores = await noveltyScores(model.nets.En, model.nets.De, images);
  const bytes = await saveCheckpoint(model, { epoch: 1, bestValidationMse: 0.1, bestEpoch: 1, validationCurve: [0.1] });

  const restored = new OcganModel(config); // fresh random weights
  const fresh = await noveltyScores(restored.nets.En, restored.nets.De, images);
  assert(fresh.some((s, i) => s !== scores[i]), "a fresh model scores differently");
  const header = loadCheckpoint(restored, bytes, "tiny.safetensors");
  assert(header.progress.epoch === 1, "progress restored");
  assertClose(await noveltyScores(restored.nets.En, restored.nets.De, images), scores, "scores after load", 0, 0);
  assert(restored.opt.generator.stepCount === model.opt.generator.stepCount, "optimiser steps restored");

  const other = new OcganModel(makeConfig("tiny", { latent: 4 }));
  const before = await noveltyScores(other.nets.En, other.nets.De, images);
  await assertRejects(() => loadCheckpoint(other, bytes, "tiny.safetensors"), /tiny\.safetensors.*latent/, "architecture mismatch named");
  assertClose(await noveltyScores(other.nets.En, other.nets.De, images), before, "nothing loaded", 0, 0);
  for (const m of [model, restored, other]) m.dispose();
});

test("ocgan: evaluation scores both protocols and all ten digits", async () => {
  await setup();
  manualSeed(4);
  const model = new OcganModel(makeConfig("tiny", { epochs: 1, batch: 8 }));
  await train(model, trainingData(0), { now: () => performance.now() });
  const e = await evaluate(model, dataset, 0, 1);
  assert(e.protocol1.positives === 12 && e.protocol1.negatives === 12, `protocol 1: ${e.protocol1.positives} in, ${e.protocol1.negatives} out`);
  assert(e.protocol2.positives === 12 && e.protocol2.negatives === 108, `protocol 2: ${e.protocol2.positives} in, ${e.protocol2.negatives} out`);
  assert(e.perDigitMse.length === 10 && e.perDigitMse.every((v) => v > 0 && Number.isFinite(v)), "per-digit MSE");
  assert(e.protocol1.auc >= 0 && e.protocol1.auc <= 1, "AUC in [0, 1]");
  model.dispose();
});

test("ocgan: GPU memory is flat across iterations of the full step", async () => {
  await setup();
  manualSeed(5);
  const model = new OcganModel(makeConfig("tiny", { batch: 8 }));
  const x = fromData(toModelInput(dataset.images, splitDigit(dataset, 2).train.slice(0, 8)), [8, 1, 32, 32]);
  let baseline = memoryStats();
  for (let i = 0; i < 30; i++) {
    const losses = model.iteration(x, true);
    await losses.toArray();
    losses.dispose();
    if (i === 1) baseline = memoryStats();
  }
  const end = memoryStats();
  assert(end.liveBuffers === baseline.liveBuffers && end.liveBytes === baseline.liveBytes, `live ${baseline.liveBuffers}/${baseline.liveBytes} -> ${end.liveBuffers}/${end.liveBytes}`);
  assert(end.allocatedBytes === baseline.allocatedBytes, `pool ${baseline.allocatedBytes} -> ${end.allocatedBytes} bytes`);
  x.dispose();
  model.dispose();
});

test("ocgan: the initial weights depend on the seed alone", async () => {
  await setup();
  const weights = async (seed: number) => {
    const model = new OcganModel(makeConfig("tiny", { seed }));
    const values = await model.nets.En.parameters()[0].toArray();
    model.dispose();
    return values;
  };
  const first = await weights(1);
  rand([100]).dispose(); // draws in between must not matter
  assertClose(await weights(1), first, "same seed, same weights", 0, 0);
  const other = await weights(2);
  assert(other.some((v, i) => v !== first[i]), "another seed, other weights");
});

test("ocgan: runs of one seed on different digits start from different weights", async () => {
  await setup();
  const weights = async (digit: number) => {
    const model = new OcganModel(makeConfig("tiny", { seed: 1, digit }));
    const values = await model.nets.En.parameters()[0].toArray();
    model.dispose();
    return values;
  };
  const eight = await weights(8);
  assertClose(await weights(8), eight, "same seed and digit, same weights", 0, 0);
  const three = await weights(3);
  assert(three.some((v, i) => v !== eight[i]), "same seed, another digit: other weights");
});

test("ocgan: training stops once the validation MSE has not improved for `patience` epochs, and the curve is kept", async () => {
  await setup();
  // A learning rate far too high for Adam, so the validation MSE stops improving within a few epochs.
  const config = makeConfig("tiny", { epochs: 40, patience: 2, batch: 16, lr: 0.05 });
  const model = new OcganModel(config);
  const seen: number[] = [];
  try {
    const progress = await train(model, trainingData(8), { now: () => performance.now(), onEpoch: (e) => void seen.push(e.validationMse) });
    const curve = progress.validationCurve;
    assert(curve.length === progress.epoch && curve.every((v, i) => v === seen[i]), `one validation MSE per epoch: ${JSON.stringify(progress)}`);
    const best = curve.indexOf(Math.min(...curve)) + 1;
    assert(progress.bestEpoch === best && progress.bestValidationMse === curve[best - 1], `the best epoch is the curve's minimum (${best}): ${JSON.stringify(progress)}`);
    assert(progress.epoch < 40 && progress.epoch - best === 2, `stopped 2 epochs after the best, before the cap: ${JSON.stringify(progress)}`);
    assert(stopReason(progress, config) === "patience" && stopReason(progress, { ...config, patience: 0 }) === null, "stopReason says why");
    // Resumed with its patience spent (a checkpoint of a finished run), a run trains no further.
    const again = await train(model, trainingData(8), { now: () => performance.now(), onIteration: () => assert(false, "an iteration after the stop") }, progress);
    assert(again === progress, "nothing trained after the patience ran out");
  } finally {
    model.dispose();
  }
  assert(stopReason({ epoch: 5, bestEpoch: 5, bestValidationMse: 1, validationCurve: [5, 4, 3, 2, 1] }, { epochs: 5, patience: 3 }) === "cap", "the cap stops a run that still improves");
  assert(stopReason({ epoch: 0, bestEpoch: null, bestValidationMse: null, validationCurve: [] }, { epochs: 5, patience: 3 }) === null, "a fresh run trains");
});
