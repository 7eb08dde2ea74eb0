// app/state.ts: the training page's transition function, run alone (no DOM,
// no GPU): the phases a run goes through, pause and stop with the clock that
// stands still meanwhile, resuming after a loaded checkpoint, and the
// settings the controls give.
import { test, assert } from "./harness.js";
import {
  reduce, initialState, phaseOf, readConfig, tryConfig, resumable, isBusy, clockTime, explorerRuns, resultSummary,
  type PageState, type PageEvent,
} from "../app/state.js";
import { makeConfig } from "../src/ocgan/config.js";
import type { MnistDataset } from "../src/ocgan/data.js";
import type { OcganModel } from "../src/ocgan/step.js";
import type { Evaluation } from "../src/ocgan/evaluate.js";
import type { Losses } from "../src/ocgan/train.js";

/** Stand-ins for what the reducer only holds: it never calls into them. */
const fakeModel = (tag: string) => ({ tag }) as unknown as OcganModel;
const fakeDataset = {} as MnistDataset;
const losses: Losses = { classifier: 1, latentDisc: 1, visualDisc: 1, genMse: 0.5, genLatent: 1, genVisual: 1 };
const evaluation = (auc: number) => ({ protocol1: { auc }, protocol2: { auc: auc / 2 } }) as unknown as Evaluation;

function play(...events: PageEvent[]): PageState {
  return events.reduce(reduce, initialState());
}

const ready: PageEvent = { type: "ready", adapter: "test adapter", dataset: fakeDataset, trainCounts: Array(10).fill(5000) };

test("app state: start-up shows the tiny preset's settings; a preset picked fills epochs, patience and batch", () => {
  const loading = initialState();
  assert(phaseOf(loading).phase === "loading", "loading before the data");
  const s = play(ready);
  assert(phaseOf(s).phase === "idle" && /ready/.test(phaseOf(s).text), `ready: ${JSON.stringify(phaseOf(s))}`);
  assert(s.form.epochs === "1" && s.form.patience === "0" && s.form.batch === "16", `tiny's settings: ${JSON.stringify(s.form)}`);
  const fast = reduce(s, { type: "field", field: "preset", value: "fast" });
  assert(fast.form.epochs === "300" && fast.form.patience === "20" && fast.form.batch === "32", `fast's settings: ${JSON.stringify(fast.form)}`);
  assert(play({ type: "no-webgpu", reason: "none" }).boot.kind === "no-webgpu" && phaseOf(play({ type: "no-webgpu", reason: "x" })).phase === "no-webgpu", "no WebGPU");
});

test("app state: the settings are checked, each error naming its field", () => {
  const s = play(ready);
  const c = readConfig(s);
  assert(c.preset === "tiny" && c.digit === 8 && c.batch === 16 && c.model === "ocgan", `config ${JSON.stringify(c)}`);
  for (const [field, value, name] of [["epochs", "0", "Epochs"], ["batch", "5001", "Batch"], ["seed", "1.5", "Seed"], ["patience", "-1", "Patience"]] as const) {
    let message = "";
    try {
      readConfig(reduce(s, { type: "field", field, value }));
    } catch (error) {
      message = (error as Error).message;
    }
    assert(message.startsWith(`${name} must be a whole number`), `${field} = ${value}: "${message}"`);
  }
  assert(tryConfig(initialState()) === null, "no config before the data says how many training images there are");
});

test("app state: a run trains, pauses (the clock stands still), resumes, evaluates and ends done", () => {
  const config = makeConfig("tiny");
  let s = play(ready, { type: "train-started", config, resume: false, thenBaseline: false });
  assert(isBusy(s) && phaseOf(s).phase === "training" && s.main?.label === "OCGAN" && s.main.model === null, "training, model not built yet");
  s = reduce(s, { type: "stage", role: "main", stage: "choosing kernels" });
  assert(phaseOf(s).text === "training OCGAN: choosing kernels", phaseOf(s).text);
  const model = fakeModel("main");
  s = reduce(s, { type: "model-built", role: "main", model, clockTime: 0 });
  assert(explorerRuns(s)[0]?.model === model, "the explorer shows the model as it trains");
  s = reduce(s, { type: "iteration", role: "main", epoch: 0, iteration: 0, iterationsPerEpoch: 10, losses, clockTime: 100 });
  assert(s.main!.history.length === 1 && s.status.iteration?.shown === 1 && s.status.iterationsLeft === 9, `status ${JSON.stringify(s.status)}`);
  assert(phaseOf(s).text === "training OCGAN", "the stage line goes once iterations run");

  s = reduce(s, { type: "pause-clicked", realTime: 1000 });
  assert(s.job.kind === "training" && s.job.pause.kind === "requested" && /pausing/.test(s.message.text), "pause asked for");
  s = reduce(s, { type: "paused", epoch: 0, iteration: 1, realTime: 1000 });
  assert(phaseOf(s).phase === "paused" && phaseOf(s).text === "paused: OCGAN, epoch 1, iteration 2", phaseOf(s).text);
  assert(clockTime(s.clock, 1000) === clockTime(s.clock, 5000), "the clock stands still while paused");
  s = reduce(s, { type: "pause-clicked", realTime: 5000 });
  assert(phaseOf(s).phase === "training" && clockTime(s.clock, 6000) === 2000, `resumed: the 4 s paused do not count (${clockTime(s.clock, 6000)})`);

  const progress = { epoch: 1, bestValidationMse: 0.2, bestEpoch: 1, validationCurve: [0.2] };
  const bytes = new Uint8Array([1, 2, 3]);
  s = reduce(s, { type: "checkpoint", role: "main", kind: "last", bytes });
  s = reduce(s, { type: "epoch", role: "main", epoch: 0, validationMse: 0.2, improved: true, progress });
  assert(s.main!.last === bytes && s.main!.progress === progress && s.status.validation?.note === "epoch 1, best so far", "checkpoint and epoch");
  s = reduce(s, { type: "stage", role: "main", stage: "evaluating", epoch: 1 });
  assert(phaseOf(s).phase === "evaluating" && /epoch 1/.test(phaseOf(s).text), phaseOf(s).text);
  s = reduce(s, { type: "experiment-done", role: "main", evaluation: evaluation(0.9), selectedEpoch: 1 });
  s = reduce(s, { type: "training-ended", stopped: false });
  assert(!isBusy(s) && phaseOf(s).phase === "done", `done: ${JSON.stringify(phaseOf(s))}`);
  assert(s.message.text === resultSummary(s) && /OCGAN: Protocol 1 AUC 0\.9000, Protocol 2 AUC 0\.4500/.test(s.message.text), s.message.text);
  assert(!resumable(s, readConfig(s)), "1 of 1 epochs: nothing to resume");
  assert(resumable(s, readConfig(reduce(s, { type: "field", field: "epochs", value: "2" }))), "2 epochs: Train resumes");
  assert(!resumable(s, readConfig(reduce(reduce(s, { type: "field", field: "epochs", value: "2" }), { type: "field", field: "seed", value: "2" }))), "another seed: afresh");
});

test("app state: Stop while paused goes on to stop; the baseline follows the main model; a resume keeps the finished epochs' losses", () => {
  const config = makeConfig("tiny", { epochs: 2 });
  let s = play(ready, { type: "train-started", config, resume: false, thenBaseline: true }, { type: "model-built", role: "main", model: fakeModel("a"), clockTime: 0 });
  for (let it = 0; it < 3; it++) s = reduce(s, { type: "iteration", role: "main", epoch: 0, iteration: it, iterationsPerEpoch: 2, losses, clockTime: it });
  s = reduce(s, { type: "epoch", role: "main", epoch: 0, validationMse: 0.3, improved: true, progress: { epoch: 1, bestValidationMse: 0.3, bestEpoch: 1, validationCurve: [0.3] } });
  s = reduce(s, { type: "checkpoint", role: "main", kind: "last", bytes: new Uint8Array(1) });
  s = reduce(s, { type: "iteration", role: "main", epoch: 1, iteration: 0, iterationsPerEpoch: 2, losses, clockTime: 9 });
  s = reduce(reduce(s, { type: "pause-clicked", realTime: 10 }), { type: "paused", epoch: 1, iteration: 0, realTime: 10 });
  s = reduce(s, { type: "stop-clicked", realTime: 20 });
  assert(s.job.kind === "training" && s.job.stopRequested && s.job.pause.kind === "none" && s.clock.pausedAt === null, "Stop resumes so the run can end");
  assert(reduce(s, { type: "pause-clicked", realTime: 30 }) === s, "no pausing once stopping");
  s = reduce(s, { type: "training-ended", stopped: true });
  assert(phaseOf(s).phase === "stopped" && /stopped at epoch 1/.test(phaseOf(s).text), phaseOf(s).text);

  s = reduce(s, { type: "train-started", config, resume: true, thenBaseline: true });
  assert(s.main!.history.length === 3 && s.main!.history.every((h) => h.epoch === 0), "the unfinished epoch's losses are dropped");
  assert(s.main!.progress.epoch === 1 && s.main!.model === null, "resumes from epoch 1 with a new model");
  s = reduce(s, { type: "baseline-started", config: makeConfig("tiny", { model: "ae" }) });
  assert(s.job.kind === "training" && s.job.role === "baseline" && s.baseline?.label === "AE baseline", "the baseline trains");
  s = reduce(s, { type: "job-failed", message: "boom" });
  assert(!isBusy(s) && phaseOf(s).phase === "error" && s.message.error, "an error ends the job");
});

test("app state: a loaded checkpoint sets the controls, keeps its settings beyond them, and resumes", () => {
  const config = makeConfig("tiny", { lr: 0.005, digit: 3, epochs: 1 });
  const progress = { epoch: 1, bestValidationMse: 0.1, bestEpoch: 1, validationCurve: [0.1] };
  const bytes = new Uint8Array(8);
  let s = play(ready, { type: "load-started" });
  assert(isBusy(s) && phaseOf(s).phase === "idle", "loading keeps the phase");
  s = reduce(s, { type: "loaded", fileName: "x.safetensors", config, progress, model: fakeModel("loaded"), bytes });
  assert(s.form.digit === "3" && s.form.epochs === "1" && s.main?.last === bytes && s.main.best === bytes, "controls and checkpoints");
  assert(/^Loaded x\.safetensors/.test(s.message.text) && s.status.epoch?.shown === 1, s.message.text);
  const more = reduce(s, { type: "field", field: "epochs", value: "2" });
  assert(readConfig(more).lr === 0.005, "the learning rate of the checkpoint is kept");
  assert(resumable(more, readConfig(more)), "more epochs resume the checkpoint");
  const failed = reduce(reduce(s, { type: "load-started" }), { type: "load-failed", fileName: "bad", message: "damaged" });
  assert(!isBusy(failed) && failed.main === s.main && failed.message.text === "Could not load bad: damaged", "a refused file changes nothing else");
});
