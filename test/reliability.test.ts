// Reliability of the engine and the OCGAN layer: bad input gets a clear
// error, a failure loses no work, nothing leaks.
//  - checkpoints: every kind of damaged or foreign file is refused with an
//    error naming the file (and the tensor, where there is one), and the
//    model is left exactly as it was; a fuzz of damaged headers and hostile
//    metadata gives SafetensorsError and nothing else;
//  - ops: a shape mismatch is refused before anything is dispatched or allocated;
//  - a lost device stops training with a GpuError (no hang) and the last
//    checkpoint still loads;
//  - a run resumed from a checkpoint ends bit-identical to one that was never
//    stopped (the results grid resumes killed runs);
//  - a NaN or Inf in a loss stops training at that iteration, naming it, and
//    the last checkpoint saved is the previous epoch's, whole and finite;
//  - GPU buffers and the JS heap stay flat over many iterations of the full
//    OCGAN step (1,000 in Chromium, 100 on Node; `--memory-iterations N`
//    changes it).
import { test, assert, assertRejects } from "./harness.js";
import { setup, testHost } from "./setup.js";
import { mulberry32 } from "./random.js";
import { fromData } from "../src/autograd/tensor.js";
import { tensor, zeros, manualSeed, memoryStats, matmul, add, reshape, F, GpuError, runtime } from "../src/index.js";
import { createRuntime, setRuntime } from "../src/gpu/index.js";
import { makeConfig } from "../src/ocgan/config.js";
import { OcganModel } from "../src/ocgan/step.js";
import { train, NonFiniteLossError } from "../src/ocgan/train.js";
import { syntheticDataset, splitDigit, toModelInput } from "../src/ocgan/data.js";
import { saveCheckpoint, loadCheckpoint, readCheckpointHeader } from "../src/ocgan/checkpoint.js";
import { parseSafetensors, serializeSafetensors, SafetensorsError, type F32Tensor } from "../src/io/safetensors.js";

const FILE = "runs/x/ocgan/last.safetensors";
const dataset = syntheticDataset([50, 50, 50, 50, 50, 50, 50, 50, 50, 50], 11);

function trainingData(digit: number) {
  const split = splitDigit(dataset, digit);
  return { train: toModelInput(dataset.images, split.train), validation: toModelInput(dataset.images, split.validation) };
}

/** Every state tensor's values and every optimiser's step count. */
async function snapshot(model: OcganModel): Promise<{ values: Map<string, Float32Array>; steps: number[] }> {
  const state = [...model.state()];
  const arrays = await Promise.all(state.map(([, t]) => t.toArray()));
  return { values: new Map(state.map(([name], i) => [name, arrays[i]])), steps: Object.values(model.opt).map((o) => o.stepCount) };
}

function assertSameState(a: Awaited<ReturnType<typeof snapshot>>, b: Awaited<ReturnType<typeof snapshot>>, what: string): void {
  assert(a.steps.join() === b.steps.join(), `${what}: optimiser steps ${a.steps} -> ${b.steps}`);
  for (const [name, values] of a.values) {
    const other = b.values.get(name)!;
    const k = values.findIndex((v, i) => !Object.is(v, other[i]));
    assert(k < 0, `${what}: tensor ${name} changed at element ${k}: ${values[k]} -> ${other[k]}`);
  }
}

/** The JSON header and where the data region starts. */
function headerOf(bytes: Uint8Array): { header: Record<string, { data_offsets: [number, number]; shape: number[] }>; dataStart: number; length: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0, true);
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))), dataStart: 8 + length, length };
}

/** Edits a checkpoint through its parsed form and writes it again (only finite values: the writer refuses others). */
function rewrite(bytes: Uint8Array, edit: (tensors: Record<string, F32Tensor>, metadata: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = parseSafetensors(bytes, FILE);
  edit(tensors, metadata);
  return serializeSafetensors(tensors, metadata);
}

/** Replaces the first occurrence of `from` in the header text by `to` (same length). */
function patchHeader(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const { length } = headerOf(bytes);
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + length));
  const at = text.indexOf(from);
  assert(at >= 0 && from.length === to.length, `patchHeader: "${from}" not in the header`);
  const out = bytes.slice();
  out.set(new TextEncoder().encode(to), 8 + at);
  return out;
}

/** Overwrites value `index` of tensor `name` in the data region. */
function patchValue(bytes: Uint8Array, name: string, index: number, value: number): Uint8Array {
  const { header, dataStart } = headerOf(bytes);
  const out = bytes.slice();
  new DataView(out.buffer).setFloat32(dataStart + header[name].data_offsets[0] + 4 * index, value, true);
  return out;
}

function withLength(bytes: Uint8Array, length: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  view.setUint32(0, length % 2 ** 32, true);
  view.setUint32(4, Math.floor(length / 2 ** 32), true);
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("reliability: a damaged or foreign checkpoint is refused naming the file and the tensor, and the model is left as it was", async () => {
  await setup();
  manualSeed(21);
  const config = makeConfig("tiny", { batch: 8 });
  const source = new OcganModel(config);
  const target = new OcganModel(config); // other random weights
  const fast = new OcganModel(makeConfig("fast"));
  try {
    source.opt.generator.stepCount = 7;
    const good = await saveCheckpoint(source, { epoch: 1, bestValidationMse: 0.5, bestEpoch: 1, validationCurve: [0.5] });
    const fastBytes = await saveCheckpoint(fast, { epoch: 1, bestValidationMse: 0.5, bestEpoch: 1, validationCurve: [0.5] });
    const names = [...target.state().keys()];
    // A 4-D weight whose dimensions differ, so that reversing them keeps the size but not the shape.
    const weight = names.find((n) => {
      const s = target.state().get(n)!.shape;
      return s.length === 4 && new Set(s).size > 1;
    })!;
    const weightShape = [...target.state().get(weight)!.shape];
    const lastName = Object.entries(headerOf(good).header).filter(([n]) => n !== "__metadata__").sort((a, b) => b[1].data_offsets[1] - a[1].data_offsets[1])[0][0];
    const { length } = headerOf(good);
    const file = escape(FILE);
    const t = (name: string) => `tensor ['"]${escape(name)}['"]`;

    const cases: [string, Uint8Array, RegExp][] = [
      ["truncated to 5 bytes", good.subarray(0, 5), new RegExp(`^${file}: truncated: 5 bytes`)],
      ["truncated inside the header", good.subarray(0, 8 + length - 9), new RegExp(`^${file}: header length ${length} goes beyond the file`)],
      ["truncated inside the data", good.subarray(0, good.length - 2), new RegExp(`^${file}: ${t(lastName)}: data_offsets .* are out of range`)],
      ["trailing bytes", Uint8Array.from([...good, 0, 0, 0, 0]), new RegExp(`^${file}: the data region has \\d+ bytes but the tensors cover`)],
      ["header length too large", withLength(good, 2 ** 40), new RegExp(`^${file}: header length ${2 ** 40} goes beyond the file`)],
      ["header length 8 short", withLength(good, length - 8), new RegExp(`^${file}: header is not valid JSON`)],
      ["header length 8 long", withLength(good, length + 8), new RegExp(`^${file}: header is not valid (JSON|UTF-8)`)],
      ["header not JSON", patchHeader(good, '"dtype":', '"dtype";'), new RegExp(`^${file}: header is not valid JSON`)],
      ["dtype F16", patchHeader(good, `"${weight}":{"dtype":"F32"`, `"${weight}":{"dtype":"F16"`), new RegExp(`^${file}: ${t(weight)}: dtype "F16" is not supported`)],
      ["dtype I32", patchHeader(good, `"${weight}":{"dtype":"F32"`, `"${weight}":{"dtype":"I32"`), new RegExp(`^${file}: ${t(weight)}: dtype "I32" is not supported`)],
      ["a NaN weight", patchValue(good, weight, 3, NaN), new RegExp(`^${file}: ${t(weight)}: value 3 is NaN`)],
      ["an infinite weight", patchValue(good, weight, 0, Infinity), new RegExp(`^${file}: ${t(weight)}: value 0 is Infinity`)],
      ["a -Infinity moment", patchValue(good, "opt.Cl.v.0", 1, -Infinity), new RegExp(`^${file}: ${t("opt.Cl.v.0")}: value 1 is -Infinity`)],
      ["a missing tensor", rewrite(good, (tensors) => delete tensors[weight]), new RegExp(`^${file}: ${t(weight)} is missing`)],
      ["an extra tensor", rewrite(good, (tensors) => (tensors["En.extra.weight"] = { shape: [1], data: new Float32Array(1) })), new RegExp(`^${file}: ${t("En.extra.weight")} is not part of this model`)],
      ["a shape mismatch", rewrite(good, (tensors) => (tensors[weight].shape = [...weightShape].reverse())), new RegExp(`^${file}: ${t(weight)} has shape \\[${[...weightShape].reverse().join(",")}\\], the model expects \\[${weightShape.join(",")}\\]`)],
      ["a checkpoint of another preset", fastBytes, new RegExp(`^${file}: checkpoint of preset 'fast' has base = 8, this model \\(preset 'tiny'\\) has 4`)],
      ["no format", rewrite(good, (_, m) => delete m.format), new RegExp(`^${file}: format '\\(none\\)', expected 'webgpu-ocgan/1'`)],
      ["a plain safetensors file", serializeSafetensors({ w: { shape: [1], data: new Float32Array(1) } }), new RegExp(`^${file}: format '\\(none\\)'`)],
      ["config not JSON", rewrite(good, (_, m) => (m.config = "{preset:")), new RegExp(`^${file}: metadata 'config' is not valid JSON`)],
      ["config null", rewrite(good, (_, m) => (m.config = "null")), new RegExp(`^${file}: metadata 'config' is not a training config`)],
      ["config without widths", rewrite(good, (_, m) => (m.config = '{"preset":"tiny"}')), new RegExp(`^${file}: metadata 'config' is not a training config`)],
      ["progress missing", rewrite(good, (_, m) => delete m.progress), new RegExp(`^${file}: metadata 'progress' is missing`)],
      ["progress with a negative epoch", rewrite(good, (_, m) => (m.progress = '{"epoch":-1,"bestValidationMse":null,"bestEpoch":null}')), new RegExp(`^${file}: metadata 'progress' is not a training progress record`)],
      ["progress with a text epoch", rewrite(good, (_, m) => (m.progress = '{"epoch":"2","bestValidationMse":null,"bestEpoch":null}')), new RegExp(`^${file}: metadata 'progress' is not a training progress record`)],
      ["optimizer steps not numbers", rewrite(good, (_, m) => (m.optimizerSteps = '{"generator":"x"}')), new RegExp(`^${file}: metadata 'optimizerSteps' has no valid step count for optimiser 'generator'`)],
      ["optimizer steps an array", rewrite(good, (_, m) => (m.optimizerSteps = "[1,2]")), new RegExp(`^${file}: metadata 'optimizerSteps' has no valid step count`)],
    ];
    const before = await snapshot(target);
    for (const [what, bytes, pattern] of cases) {
      const error = await assertRejects(() => loadCheckpoint(target, bytes, FILE), pattern, what);
      assert(error instanceof SafetensorsError, `${what}: ${error.name} is not a SafetensorsError`);
      assert(!error.message.includes("\n"), `${what}: one line`);
    }
    assertSameState(before, await snapshot(target), "after every refused checkpoint");

    // The good file does load (so "unchanged" above is not vacuous), exactly.
    loadCheckpoint(target, good, FILE);
    assertSameState(await snapshot(source), await snapshot(target), "after loading the good checkpoint");
  } finally {
    for (const m of [source, target, fast]) m.dispose();
  }
});

test("reliability: fuzz, 1500 damaged checkpoints (header bytes, hostile metadata values) give SafetensorsError or a whole load, nothing else", async () => {
  await setup();
  manualSeed(22);
  const model = new OcganModel(makeConfig("tiny", { batch: 8 }));
  try {
    const good = await saveCheckpoint(model, { epoch: 2, bestValidationMse: 0.25, bestEpoch: 1, validationCurve: [0.25, 0.3] });
    const { length } = headerOf(good);
    const parsed = parseSafetensors(good, FILE);
    const random = mulberry32(99);
    const int = (n: number) => Math.floor(random() * n);
    const pick = <T>(items: readonly T[]) => items[int(items.length)];
    const bytesOf = ['"', ":", ",", "[", "]", "{", "}", "-", "0", "9", "e", ".", "n", "\\", " ", "\u00ff", "\u0000"].map((c) => c.charCodeAt(0));
    const hostile: unknown[] = [null, true, -1, 0, 1.5, 2 ** 53, 1e308, "", "x", [], {}, [1], { epoch: 1 }, "\u0000", -0];
    let loaded = 0;
    const start = performance.now();
    for (let round = 0; round < 1500; round++) {
      let bytes: Uint8Array;
      if (round % 2 === 0) {
        bytes = good.slice();
        for (let k = 1 + int(3); k > 0; k--) bytes[8 + int(length)] = pick(bytesOf);
      } else {
        // Valid JSON inside the metadata strings, with a hostile value in one place.
        const metadata = { ...parsed.metadata };
        const key = pick(["config", "progress", "optimizerSteps"] as const);
        const value = JSON.parse(metadata[key]);
        if (random() < 0.2) metadata[key] = JSON.stringify(pick(hostile));
        else {
          value[pick(Object.keys(value))] = pick(hostile);
          metadata[key] = JSON.stringify(value);
        }
        bytes = serializeSafetensors(parsed.tensors, metadata);
      }
      try {
        loadCheckpoint(model, bytes, FILE);
        loaded++;
      } catch (error) {
        if (!(error instanceof SafetensorsError)) {
          throw new Error(`round ${round}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
        }
        assert(error.message.startsWith(`${FILE}: `), `round ${round}: the message names the file: ${error.message}`);
      }
    }
    const ms = performance.now() - start;
    console.log(`checkpoint fuzz: 1500 rounds in ${ms.toFixed(0)} ms, ${loaded} loaded`);
    assert(loaded < 1500, "most damaged checkpoints are refused");
  } finally {
    model.dispose();
  }
});

test("reliability: a shape mismatch is refused before anything is dispatched or allocated, naming the op and the shapes", async () => {
  await setup();
  const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = zeros([4, 5]);
  const c = zeros([4]);
  const x = zeros([1, 3, 8, 8]);
  const w = zeros([4, 2, 3, 3]);
  const y = zeros([3, 2]);
  const z = zeros([2, 4, 1]);
  await runtime().sync();
  const before = memoryStats();
  const cases: [string, () => unknown, RegExp][] = [
    ["matmul", () => matmul(a, b), /^matmul: shapes \[2, 3\] and \[4, 5\] cannot be multiplied/],
    ["add", () => add(a, c), /^add: shapes \[2, 3\] and \[4\] cannot be broadcast together/],
    ["conv2d", () => F.conv2d(x, w), /^conv2d: input \[1, 3, 8, 8\] has 3 channels but weight \[4, 2, 3, 3\] expects 2/],
    ["linear", () => F.linear(a, b), /^linear: .*\[2, 3\].*\[4, 5\]/],
    ["mseLoss", () => F.mseLoss(a, y), /^mseLoss: .*\[2, 3\] and \[3, 2\] must have the same shape/],
    ["bceWithLogits", () => F.bceWithLogits(a, y), /^bceWithLogits: .*\[2, 3\] and \[3, 2\] must have the same shape/],
    ["concat", () => F.concat([a, z], 1), /^concat: tensor 1 has shape \[2, 4, 1\], which does not match \[2, 3\]/],
    ["reshape", () => reshape(a, [4, 2]), /^reshape: cannot reshape a tensor of shape \[2, 3\] \(6 elements\) into \[4, 2\]/],
  ];
  for (const [op, fn, pattern] of cases) await assertRejects(fn, pattern, op);
  const after = memoryStats();
  assert(after.dispatches === before.dispatches, `${after.dispatches - before.dispatches} dispatches recorded by refused ops`);
  assert(after.liveBuffers === before.liveBuffers && after.liveBytes === before.liveBytes, `live buffers ${before.liveBuffers} -> ${after.liveBuffers}`);
  for (const t of [a, b, c, x, w, y, z]) t.dispose();
});

test("reliability: a lost device stops training with a GpuError naming the device, and the last checkpoint still loads", async () => {
  await setup();
  const shared = runtime();
  // A device of its own: destroying it must not touch the shared runtime the other tests use.
  const rt = await createRuntime({ gpu: testHost.gpu });
  const saved: Uint8Array[] = [];
  let failure: unknown = null;
  setRuntime(rt);
  try {
    manualSeed(23);
    const model = new OcganModel(makeConfig("tiny", { epochs: 3, batch: 8 }));
    const run = train(model, trainingData(5), {
      now: () => performance.now(),
      saveCheckpoint: async (bytes, kind) => void (kind === "last" && saved.push(bytes)),
      onIteration: (info) => {
        if (info.epoch === 1 && info.iteration === 1) rt.device.destroy();
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hang = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("training still running 60 s after the device was lost")), 60_000)));
    try {
      await Promise.race([run, hang]);
    } catch (error) {
      failure = error;
    } finally {
      clearTimeout(timer);
    }
    // The next op on the dead device fails the same way, at once.
    await rt.device.lost;
    const next = await assertRejects(() => tensor([1, 2], [2]), /device/, "an op after the loss");
    assert(next instanceof GpuError, `${next.name} is not a GpuError`);
    model.dispose(); // buffers go back to their own (dead) pool while it is current
  } finally {
    setRuntime(shared);
  }
  assert(failure instanceof GpuError, `training ended with ${failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure)}, expected a GpuError`);
  assert(/device/i.test((failure as Error).message), `the message names the device: ${(failure as Error).message}`);
  assert(saved.length === 1, `${saved.length} 'last' checkpoints saved before the loss, expected 1 (epoch 1)`);

  // The checkpoint of epoch 1 loads on a live device and resumes.
  const { progress } = readCheckpointHeader(saved[0], FILE);
  assert(progress.epoch === 1, `checkpoint of epoch ${progress.epoch}`);
  const fresh = new OcganModel(makeConfig("tiny", { epochs: 2, batch: 8 }));
  try {
    loadCheckpoint(fresh, saved[0], FILE);
    const resumed = await train(fresh, trainingData(5), { now: () => performance.now() }, progress);
    assert(resumed.epoch === 2, `resumed to epoch ${resumed.epoch}`);
  } finally {
    fresh.dispose();
  }
});

test("reliability: a run resumed from its epoch-1 checkpoint ends bit-identical to the run that went straight through", async () => {
  await setup();
  // The results grid resumes killed runs; a resumed run must be the same
  // experiment, not a new draw (same batches, noise, moments and steps).
  const config = makeConfig("tiny", { epochs: 2, batch: 8 });
  const straight = new OcganModel(config);
  const resumed = new OcganModel(config);
  try {
    let epochOne: Uint8Array | null = null;
    await train(straight, trainingData(3), {
      now: () => performance.now(),
      saveCheckpoint: async (bytes, kind) => void (kind === "last" && !epochOne && (epochOne = bytes)),
    });
    assert(epochOne !== null, "no 'last' checkpoint was saved after epoch 1");
    const { progress } = loadCheckpoint(resumed, epochOne!, FILE);
    assert(progress.epoch === 1, `checkpoint of epoch ${progress.epoch}`);
    await train(resumed, trainingData(3), { now: () => performance.now() }, progress);
    assertSameState(await snapshot(straight), await snapshot(resumed), "resumed vs straight");
  } finally {
    straight.dispose();
    resumed.dispose();
  }
});

test("reliability: a NaN or Inf in a loss stops training at that iteration, naming it, and the last checkpoint is the previous epoch's", async () => {
  await setup();
  for (const { poison, at, loss } of [
    // NaN in the encoder's first weight after epoch 1: every loss through En is NaN from the next iteration.
    { poison: { net: "En", value: NaN }, at: { epoch: 0, iteration: -1 }, loss: "classifier" },
    // Infinity in the latent discriminator mid-epoch 2: its loss (the first to use Dl) goes non-finite.
    { poison: { net: "Dl", value: Infinity }, at: { epoch: 1, iteration: 1 }, loss: "latentDisc" },
  ]) {
    manualSeed(24);
    const model = new OcganModel(makeConfig("tiny", { epochs: 3, batch: 8 }));
    const saved: { kind: string; bytes: Uint8Array }[] = [];
    const inject = () => {
      const [, weight] = [...model.nets[poison.net as "En" | "Dl"].stateDict()].find(([name]) => name.endsWith("weight"))!;
      const values = new Float32Array(weight.size).fill(0.01);
      values[0] = poison.value;
      weight.write(values);
    };
    try {
      const error = await assertRejects(
        () => train(model, trainingData(6), {
          now: () => performance.now(),
          saveCheckpoint: async (bytes, kind) => void saved.push({ kind, bytes }),
          onEpoch: (info) => void (at.iteration < 0 && info.epoch === at.epoch && inject()),
          onIteration: (info) => void (info.epoch === at.epoch && info.iteration === at.iteration && inject()),
        }),
        new RegExp(`^loss '${loss}' is (NaN|-?Infinity) at epoch 2, iteration ${at.iteration + 2}: training stopped; the last checkpoint is from epoch 1$`),
        `${poison.value} in ${poison.net}`,
      );
      assert(error instanceof NonFiniteLossError, `${error.name} is not a NonFiniteLossError`);
      const last = saved.filter((s) => s.kind === "last");
      assert(last.length === 1, `${last.length} 'last' checkpoints, expected only epoch 1's`);
      // Whole and finite: it parses (NaN would be refused) and loads.
      const check = new OcganModel(makeConfig("tiny", { epochs: 3, batch: 8 }));
      try {
        const { progress } = loadCheckpoint(check, last[0].bytes, FILE);
        assert(progress.epoch === 1, `the last checkpoint is of epoch ${progress.epoch}`);
      } finally {
        check.dispose();
      }
    } finally {
      model.dispose();
    }
  }
});

/**
 * Iterations of the memory test, unless the runner passes --memory-iterations:
 * 1,000 in a page (the issue's figure; about 3.5 minutes in Chromium on 2
 * cores), 100 in Node (where an iteration on Dawn's SwiftShader takes about 2.5
 * times as long, and the page run already covers the 1,000).
 */
function memoryIterations(): number {
  const g = globalThis as { __testEnv?: { memoryIterations?: string }; process?: { env: Record<string, string | undefined> } };
  const value = Number(g.__testEnv?.memoryIterations ?? g.process?.env.MEMORY_ITERATIONS ?? (g.process?.env ? 100 : 1000));
  assert(Number.isInteger(value) && value >= 20, `memory iterations must be an integer >= 20, got ${value}`);
  return value;
}

/** Bytes of JS heap in use after a garbage collection: the page's through the runner (CDP), Node's own. */
async function heapUsed(): Promise<number> {
  const g = globalThis as { __heapUsage?: () => Promise<number>; gc?: () => void; process?: { memoryUsage(): { heapUsed: number } } };
  if (g.__heapUsage) return g.__heapUsage();
  if (g.process?.memoryUsage && g.gc) {
    g.gc();
    return g.process.memoryUsage().heapUsed;
  }
  throw new Error("cannot measure the JS heap here: the runner provides neither __heapUsage (Chromium, CDP) nor gc (Node --expose-gc)");
}

const MB = 1024 * 1024;

test(
  "reliability: GPU buffers and the JS heap stay flat over many iterations of the full OCGAN step",
  async () => {
    await setup();
    const iterations = memoryIterations();
    manualSeed(25);
    const batch = 4;
    const model = new OcganModel(makeConfig("tiny", { batch }));
    const images = trainingData(7).train;
    const count = images.length / 1024;
    const warmup = 10;
    let baseline = memoryStats();
    let heapStart = 0;
    const heap: number[] = [];
    const start = performance.now();
    let timed = 0;
    try {
      for (let i = 0; i < warmup + iterations; i++) {
        const first = (i * batch) % (count - batch);
        const x = fromData(images.subarray(first * 1024, (first + batch) * 1024), [batch, 1, 32, 32]);
        const losses = model.iteration(x, true);
        await losses.toArray();
        losses.dispose();
        x.dispose();
        if (i + 1 === warmup) {
          baseline = memoryStats();
          heapStart = await heapUsed();
          timed = performance.now();
        } else if (i >= warmup && (i + 1 - warmup) % Math.ceil(iterations / 4) === 0) {
          heap.push(await heapUsed());
        }
      }
      const ms = performance.now() - timed;
      const end = memoryStats();
      const heapEnd = await heapUsed();
      console.log(
        `memory: ${iterations} iterations (batch ${batch}) in ${(ms / 1000).toFixed(1)} s (${(ms / iterations).toFixed(0)} ms each); ` +
          `live ${baseline.liveBuffers} buffers / ${baseline.liveBytes} B -> ${end.liveBuffers} / ${end.liveBytes} B; ` +
          `pool ${baseline.allocatedBytes} -> ${end.allocatedBytes} B; JS heap ${(heapStart / MB).toFixed(1)} -> ${heap.map((h) => (h / MB).toFixed(1)).join(" -> ")} -> ${(heapEnd / MB).toFixed(1)} MB; ` +
          `total ${((performance.now() - start) / 1000).toFixed(1)} s`,
      );
      assert(end.liveBuffers === baseline.liveBuffers && end.liveBytes === baseline.liveBytes, `live ${baseline.liveBuffers}/${baseline.liveBytes} -> ${end.liveBuffers}/${end.liveBytes}`);
      assert(end.allocatedBuffers === baseline.allocatedBuffers && end.allocatedBytes === baseline.allocatedBytes, `pool ${baseline.allocatedBuffers}/${baseline.allocatedBytes} -> ${end.allocatedBuffers}/${end.allocatedBytes}`);
      // Bounded: a leak of even one small object per tensor per iteration would pass this after a few hundred iterations.
      const growth = heapEnd - heapStart;
      assert(growth < 4 * MB, `JS heap grew by ${(growth / MB).toFixed(2)} MB over ${iterations} iterations`);
    } finally {
      model.dispose();
    }
  },
  { timeoutMs: 30 * 60_000 },
);
