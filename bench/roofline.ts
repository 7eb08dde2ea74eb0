// The adapter's roofline: peak multiply-add throughput (GFLOP/s) and copy
// bandwidth (GB/s), measured with the probes of bench/roofline.wgsl. Each probe
// runs at several grid sizes; the best result is the roofline, and every
// measurement is kept in the results. Each figure is the fastest of a few
// batches of dispatches.
import { runtime } from "../src/index.js";
import { now } from "./timing.js";
import rooflineWgsl from "./roofline.wgsl";
import { measureBlockProbes, type BlockProbeResult } from "./block-probes.js";

const WG = 256; // @workgroup_size of every probe
const FLOPS_PER_TRIP = 4 * 8 * 4 * 2; // rounds * chains * lanes * (mul + add)

export interface ProbeResult {
  probe: string;
  workgroups: number;
  /** fma probes: loop trips per invocation; copy: vec4 elements. */
  size: number;
  /** copy: vec4 elements per invocation. */
  per?: number;
  ms: number;
  gflops?: number;
  gbps?: number;
}

export interface Roofline {
  fmaGflops: number;
  copyGBps: number;
  probes: ProbeResult[];
  /** The product kernels' ceilings on this adapter (block-probes.ts). */
  blocks?: BlockProbeResult[]; // absent in result files from before the probes
}

function grid(total: number): [number, number] {
  if (total <= 65535) return [total, 1];
  const y = Math.ceil(total / 65535);
  return [Math.ceil(total / y), y];
}

/**
 * Fastest over `batches` of (wall time of `reps` dispatches) / reps: a roofline
 * is the best the adapter can do, and a busy machine only ever slows a batch.
 */
async function timeDispatches(dispatch: () => void, reps: number, batches: number): Promise<number> {
  const rt = runtime();
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    const t = now();
    for (let r = 0; r < reps; r++) dispatch();
    await rt.sync();
    best = Math.min(best, (now() - t) / reps);
  }
  return best;
}

/** What spotCheck() re-runs: one FMA and one copy configuration, set up by measureRoofline(). */
let spot: { fma: () => void; fmaFlops: number; copy: () => void; copyBytes: number } | null = null;

/**
 * A quick re-measurement of both roofs (a few dispatches, well under a second),
 * taken next to a measurement so that its share of the roofline reflects the
 * load the machine was under at that moment. On a CPU adapter sharing its
 * cores, the peak itself moves with whatever else runs.
 */
export async function spotCheck(): Promise<{ fmaGflops: number; copyGBps: number }> {
  if (!spot) throw new Error("spotCheck(): measureRoofline() has not run");
  const fmaMs = await timeDispatches(spot.fma, 1, 3);
  const copyMs = await timeDispatches(spot.copy, 1, 3);
  return { fmaGflops: spot.fmaFlops / (fmaMs * 1e6), copyGBps: spot.copyBytes / (copyMs * 1e6) };
}

export async function measureRoofline(log: (line: string) => void, quick = false): Promise<Roofline> {
  const rt = runtime();
  const device = rt.device;
  const probes: ProbeResult[] = [];
  const batches = quick ? 2 : 4;

  // Arithmetic: several grid sizes, iterations calibrated to ~40 ms a dispatch.
  const grids = quick ? [32, 128] : [8, 32, 128, 512]; // 32 is spotCheck()'s
  const sink = device.createBuffer({ size: Math.max(...grids) * WG * 16, usage: GPUBufferUsage.STORAGE });
  let spotFma: (() => void) | null = null;
  let spotFmaFlops = 0;
  for (const entry of ["fma_probe", "fma_builtin_probe"]) {
    const k = await rt.compile("roofline.wgsl", rooflineWgsl, entry);
    for (const workgroups of grids) {
      const run = (iters: number) => () => rt.launch(k, { sink }, { iters, seed: 0.5 }, [workgroups]);
      let iters = 16;
      await timeDispatches(run(iters), 1, 1); // warm-up
      // Grow the work until one dispatch takes long enough to dwarf launch overhead
      // (the fastest of three tries, so a stall of the machine does not end it early).
      for (;;) {
        const ms = await timeDispatches(run(iters), 1, 3);
        if (ms > 20 || iters >= 1 << 20) {
          iters = Math.max(1, Math.round((iters * 40) / Math.max(ms, 0.5)));
          break;
        }
        iters *= 2;
      }
      const ms = await timeDispatches(run(iters), 3, batches);
      const gflops = (workgroups * WG * iters * FLOPS_PER_TRIP) / (ms * 1e6);
      probes.push({ probe: entry, workgroups, size: iters, ms, gflops });
      if (entry === "fma_probe" && workgroups === 32) {
        spotFma = run(iters);
        spotFmaFlops = workgroups * WG * iters * FLOPS_PER_TRIP;
      }
      log(`  ${entry.padEnd(18)} ${String(workgroups).padStart(4)} workgroups x ${WG}, ${iters} trips: ${gflops.toFixed(2)} GFLOP/s`);
    }
  }

  // Bandwidth: vec4 copies of 16 MiB and 64 MiB, 1 to 64 vec4s per invocation.
  const copy = await rt.compile("roofline.wgsl", rooflineWgsl, "copy_probe");
  const sizes = quick ? [1 << 20] : [1 << 20, 1 << 22];
  const pers = quick ? [4, 16] : [1, 4, 64, 16]; // the last is spotCheck()'s
  for (const n of sizes) {
    const src = device.createBuffer({ size: n * 16, usage: GPUBufferUsage.STORAGE });
    const dst = device.createBuffer({ size: n * 16, usage: GPUBufferUsage.STORAGE });
    for (const per of pers) {
      const workgroups = Math.ceil(n / per / WG);
      const run = () => rt.launch(copy, { src, dst }, { n, per }, grid(workgroups));
      await timeDispatches(run, 1, 1); // warm-up (first touch of the pages)
      const ms = await timeDispatches(run, 4, batches);
      const gbps = (2 * 16 * n) / (ms * 1e6);
      probes.push({ probe: "copy_probe", workgroups, size: n, per, ms, gbps });
      if (n === sizes[0] && per === pers[pers.length - 1]) {
        const keepSrc = src;
        const keepDst = dst;
        spot = { fma: spotFma!, fmaFlops: spotFmaFlops, copy: () => rt.launch(copy, { src: keepSrc, dst: keepDst }, { n, per }, grid(workgroups)), copyBytes: 2 * 16 * n };
      }
      log(`  copy_probe         ${(n * 16) / (1 << 20)} MiB, ${per} vec4 per invocation: ${gbps.toFixed(2)} GB/s`);
    }
    if (n !== sizes[0]) {
      src.destroy();
      dst.destroy();
    } // the first pair stays alive for spotCheck(), as does `sink`
  }

  const fmaGflops = Math.max(...probes.filter((p) => p.gflops !== undefined).map((p) => p.gflops!));
  log("  block probes (a product kernel's inner loop, block8x8.wgsl's shape and its neighbours):");
  const blocks = await measureBlockProbes(fmaGflops, log, quick);
  return {
    fmaGflops,
    copyGBps: Math.max(...probes.filter((p) => p.gbps !== undefined).map((p) => p.gbps!)),
    probes,
    blocks,
  };
}
