// The benchmarks, host-agnostic: runBench(options, host) runs the chosen parts
// in order and hands each result to the host as soon as it exists, so a crash
// late in the run still leaves the earlier figures. Three hosts drive this one
// code path: `npm run bench`'s headless page (bench/page.ts), Node on Dawn's
// WebGPU (bench/node.ts, `--runner node`) and the app's Benchmark view
// (app/bench-view.ts) in any browser.
import { init, runtime, type AdapterReport } from "../src/index.js";
import { measureRoofline, spotCheck, type Roofline } from "./roofline.js";
import { benchKernels, type KernelResult } from "./kernels.js";
import { benchIteration } from "./iteration.js";
import { namedConfig } from "./configs.js";
import { benchTfjs, type TfjsConfig } from "./tfjs-ocgan.js";

export interface BenchOptions {
  /** Parts to run, of "kernels", "iteration", "tfjs" (the roofline always runs). */
  parts: string[];
  /** Presets whose kernel shapes and iterations are measured. */
  presets: string[];
  /** Batch size of every kernel shape (and of the iterations unless iterationBatches says otherwise). */
  batch: number;
  /** Batch sizes the iterations and TF.js run at (default: [batch]). */
  iterationBatches?: number[];
  /** Timed iterations per engine config (after one warm-up). */
  iterations: Record<string, number>;
  /** Split iterations into phases: auto (configs under 20 GFLOP), all, none. */
  phases: "auto" | "all" | "none";
  quick: boolean;
  grep?: string;
  /** Kernels of the conv input gradient: chosen by shape ("auto"), or one family forced. */
  convDxKernels?: "auto" | "direct" | "gemm" | "phases";
  tfjs: { configs: string[]; backends: ("webgpu" | "cpu")[]; iterations: Record<"webgpu" | "cpu", number> };
}

/** What the benchmarks need from where they run. */
export interface BenchHost {
  record(section: string, data: unknown): Promise<void>;
  log(line: string): void;
  /** The host's GPU object; a page leaves it unset and init() uses navigator.gpu. */
  gpu?: GPU;
  /** Facts about the host, recorded beside the adapter's. */
  environment: Record<string, unknown>;
  /** Aborting it stops the run at the next kernel or iteration (runBench then rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Each kernel pass as soon as it is timed, with how many of the run's kernel passes are done. */
  onKernel?(result: KernelResult, done: number, total: number): void;
}

function tfjsConfig(name: string, batch: number): TfjsConfig {
  const c = namedConfig(name, batch);
  return {
    name, base: c.base, visualBase: c.visualBase, latent: c.latent, batch: c.batch,
    miningSteps: c.miningSteps, miningLr: c.miningLr, lambda: c.lambda, sigma: c.sigma,
  };
}

export async function runBench(o: BenchOptions, host: BenchHost): Promise<void> {
  const { record, log, signal } = host;
  const adapter: AdapterReport = await init({ gpu: host.gpu });
  await record("adapter", { ...adapter, ...host.environment });
  log(`adapter: ${adapter.vendor} ${adapter.architecture} ${adapter.description}`);

  const forcedDx = o.convDxKernels ?? "auto";
  runtime().tuner.force("conv2d_input_grad", forcedDx === "auto" ? null : forcedDx);
  log("roofline:");
  const roof: Roofline = await measureRoofline(log, o.quick);
  await record("roofline", roof);

  if (o.parts.includes("kernels")) {
    log("kernels:");
    await record("kernels", await benchKernels(roof, { presets: o.presets, batch: o.batch, quick: o.quick, grep: o.grep, signal, onResult: host.onKernel }, log));
  }

  const iterationBatches = o.iterationBatches ?? [o.batch];
  if (o.parts.includes("iteration")) {
    const names = [...new Set([...o.presets, ...(o.parts.includes("tfjs") ? o.tfjs.configs : [])])];
    for (const batch of iterationBatches) {
      for (const name of names) {
        signal?.throwIfAborted();
        log(`iteration (${name}, batch ${batch}):`);
        try {
          await record("iteration", await benchIteration(name, batch, o.iterations[name] ?? 2, o.phases, roof, log, signal));
        } catch (error) {
          if (signal?.aborted) throw error;
          log(`  ${name}: FAILED ${error instanceof Error ? error.stack : error}`);
          await record("iteration", { name, batch, error: String(error) });
        }
      }
    }
  }

  // Every kernel choice the run timed, whichever part met the shape first.
  await record("tuning", runtime().tuner.timings);

  if (o.parts.includes("tfjs")) {
    const stats = runtime().stats();
    log(`engine done (${stats.liveBuffers} live buffers, ${(stats.allocatedBytes / 2 ** 20).toFixed(0)} MiB pooled); TF.js:`);
    for (const batch of iterationBatches) {
      for (const name of o.tfjs.configs) {
        for (const backend of o.tfjs.backends) {
          signal?.throwIfAborted();
          try {
            // The engine's FMA probe before and after, as a gauge of the machine's load during the TF.js run.
            const before = (await spotCheck()).fmaGflops;
            const result = await benchTfjs(backend, tfjsConfig(name, batch), o.tfjs.iterations[backend], log);
            const after = (await spotCheck()).fmaGflops;
            await record("tfjs", { ...result, spotFmaGflops: (before + after) / 2 });
          } catch (error) {
            if (signal?.aborted) throw error;
            log(`  tfjs ${backend} ${name}: FAILED ${error instanceof Error ? error.stack : error}`);
            await record("tfjs", { backend, config: tfjsConfig(name, batch), error: String(error) });
          }
        }
      }
    }
  }
}
