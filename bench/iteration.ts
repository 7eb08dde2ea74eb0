// A full OCGAN iteration (src/ocgan/step.ts: the four steps, K mining steps)
// timed as training runs it: record the iteration, read its six losses back
// (the one readback per iteration), repeat. The first iteration compiles every
// pipeline and is not counted. Dispatches and submits per iteration come from
// runtime().stats() deltas.
//
// Phases: a second set of iterations with mining switched off times steps 1, 2
// and 4; model.mine() alone times step 3 (K forward+backward passes to the
// latent). Their sum is close to, not exactly, the full iteration's time.
//
// A big config (the paper preset: ~90 GFLOP an iteration, minutes on a CPU
// adapter) warms up on a batch of 8 instead: the pipelines are the same, only
// the buffer pool is still cold for the first timed iteration. Its phases are
// measured only when asked for (--phases all).
import { runtime, rand, scope, manualSeed, type ProfileEntry, type TuneResult } from "../src/index.js";
import { namedConfig } from "./configs.js";
import { OcganModel } from "../src/ocgan/step.js";
import { networkLayers, iterationFlops, type IterationFlops } from "./flops.js";
import { median, now } from "./timing.js";
import { spotCheck, type Roofline } from "./roofline.js";

export interface IterationResult {
  name: string;
  config: { preset: string; base: number; visualBase: number; latent: number; batch: number; miningSteps: number };
  iterations: number;
  /** Median ms per full iteration (mining on), readback of the losses included. */
  ms: number;
  samplesMs: number[];
  flops: IterationFlops;
  gflops: number;
  fraction: number;
  /** FMA roof re-measured before and after every timed iteration (mean), and the share of it. */
  spotFmaGflops: number;
  fractionOfSpot: number;
  dispatches: number;
  submits: number;
  readbacks: number;
  phases?: { stepsWithoutMiningMs: number; miningMs: number };
  /**
   * One more iteration with every dispatch timestamped (runtime().startProfile()):
   * GPU time by kernel and parameters, slowest first. Absent without timestamp queries.
   */
  profile?: { gpuMs: number; kernels: ProfileEntry[] };
  /** The kernel variants timed after the warm-up (runtime().tune()), with the chosen one, per layer shape. */
  kernelChoices: TuneResult[];
  /** Trainable parameters of the five networks (to check TF.js builds the same ones). */
  parameters: number;
  lossesFinite: boolean;
}


/** Above this many FLOPs an iteration is "big": warm-up on a small batch, no phase split unless forced. */
export const BIG_ITERATION_FLOPS = 20e9;
/** Batch of the warm-up iteration of a big config (the pipelines do not depend on the batch size). */
const SMALL_WARMUP_BATCH = 8;
/** Timed runs of each phase. */
const PHASE_REPS = 2;

export async function benchIteration(
  name: string,
  batch: number,
  iterations: number,
  phases: "auto" | "all" | "none",
  roof: Roofline,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<IterationResult> {
  const config = namedConfig(name, batch);
  const rt = runtime();
  manualSeed(config.seed);
  const model = new OcganModel(config);
  const x = rand([config.batch, 1, 32, 32], { lo: -1, hi: 1 });
  const flops = iterationFlops(networkLayers(model.nets), config, config.batch, true);
  let finite = true;
  const big = flops.total > BIG_ITERATION_FLOPS;
  const once = async (mining: boolean, input = x) => {
    signal?.throwIfAborted();
    const t = now();
    const losses = model.iteration(input, mining);
    const values = await losses.toArray();
    losses.dispose();
    finite &&= values.every(Number.isFinite);
    return now() - t;
  };
  try {
    log(`  ${name}: ${(flops.total / 1e9).toFixed(2)} GFLOP an iteration; warm-up (compiles pipelines)${big ? ` on a batch of ${SMALL_WARMUP_BATCH}` : ""}...`);
    const small = big ? rand([SMALL_WARMUP_BATCH, 1, 32, 32], { lo: -1, hi: 1 }) : x;
    const warm = await once(true, small);
    if (small !== x) small.dispose();
    log(`  ${name}: warm-up took ${(warm / 1000).toFixed(2)} s; timing kernel variants...`);
    // As training does (src/ocgan/train.ts tuneKernels): choose the kernels before the timed iterations.
    const kernelChoices = await rt.tune((line) => log(`    ${line}`));
    if (big) {
      // The small warm-up batch met other shapes: meet the real ones, and choose their kernels too.
      await once(true);
      kernelChoices.push(...(await rt.tune((line) => log(`    ${line}`))));
    }
    const spots: number[] = [(await spotCheck()).fmaGflops];
    const samples: number[] = [];
    const counts = { dispatches: 0, submits: 0, readbacks: 0 };
    for (let i = 0; i < iterations; i++) {
      const before = rt.stats();
      samples.push(await once(true));
      const after = rt.stats();
      for (const k of ["dispatches", "submits", "readbacks"] as const) counts[k] += after[k] - before[k];
      log(`  ${name}: iteration ${i + 1}/${iterations}: ${samples[i].toFixed(0)} ms`);
      spots.push((await spotCheck()).fmaGflops);
    }
    const ms = median(samples);
    const spotFmaGflops = spots.reduce((a, b) => a + b, 0) / spots.length;
    const gflops = flops.total / (ms * 1e6);
    const result: IterationResult = {
      name,
      config: { preset: config.preset, base: config.base, visualBase: config.visualBase, latent: config.latent, batch: config.batch, miningSteps: config.miningSteps },
      iterations,
      ms,
      samplesMs: samples,
      flops,
      gflops,
      fraction: gflops / roof.fmaGflops,
      spotFmaGflops,
      fractionOfSpot: gflops / spotFmaGflops,
      dispatches: counts.dispatches / iterations,
      submits: counts.submits / iterations,
      readbacks: counts.readbacks / iterations,
      lossesFinite: finite,
      kernelChoices,
      parameters: Object.values(model.nets).reduce((n, net) => n + net.parameters().reduce((m: number, p: { size: number }) => m + p.size, 0), 0),
    };
    if (rt.device.features.has("timestamp-query")) {
      rt.startProfile();
      await once(true);
      const kernels = await rt.stopProfile();
      const gpuMs = kernels.reduce((t, k) => t + k.ms, 0);
      result.profile = { gpuMs, kernels };
      log(`  ${name}: profiled iteration: ${gpuMs.toFixed(0)} ms of GPU time in ${kernels.reduce((t, k) => t + k.dispatches, 0)} dispatches; slowest:`);
      for (const k of kernels.slice(0, 12)) log(`    ${k.ms.toFixed(1).padStart(7)} ms ${String(k.dispatches).padStart(4)}x  ${k.key}`);
    }
    if (phases === "all" || (phases === "auto" && !big)) {
      const noMining: number[] = [];
      const reps = Math.min(iterations, PHASE_REPS);
      for (let i = 0; i < reps; i++) noMining.push(await once(false));
      const mining: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t = now();
        scope(() => void model.mine(rand([config.batch, config.latent, 1, 1], { lo: -1, hi: 1 })));
        await rt.sync();
        mining.push(now() - t);
      }
      result.phases = { stepsWithoutMiningMs: median(noMining), miningMs: median(mining) };
      log(`  ${name}: steps 1, 2, 4 ${result.phases.stepsWithoutMiningMs.toFixed(0)} ms; mining (step 3) ${result.phases.miningMs.toFixed(0)} ms`);
    }
    return result;
  } finally {
    x.dispose();
    model.dispose();
  }
}
