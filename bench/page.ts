// Entry of the benchmark page (bench/run.mjs builds, serves and drives it).
// window.__bench(options) runs the chosen parts in order and hands each result
// to the driver as soon as it exists (window.__record), so a crash late in the
// run still leaves the earlier figures.
import { init, runtime, type AdapterReport } from "../src/index.js";
import { measureRoofline, type Roofline } from "./roofline.js";
import { benchKernels } from "./kernels.js";
import { benchIteration, namedConfig } from "./iteration.js";
import { benchTfjs, type TfjsConfig } from "./tfjs-ocgan.js";

export interface BenchOptions {
  /** Parts to run, of "kernels", "iteration", "tfjs" (the roofline always runs). */
  parts: string[];
  /** Presets whose kernel shapes and iterations are measured. */
  presets: string[];
  /** Timed iterations per engine config (after one warm-up). */
  iterations: Record<string, number>;
  /** Split iterations into phases: auto (configs under 20 GFLOP), all, none. */
  phases: "auto" | "all" | "none";
  quick: boolean;
  grep?: string;
  tfjs: { configs: string[]; backends: ("webgpu" | "cpu")[]; iterations: number };
}

declare global {
  interface Window {
    __bench(options: BenchOptions): Promise<void>;
    __record(section: string, data: unknown): Promise<void>;
    __log(line: string): Promise<void>;
  }
}

const log = (line: string) => void window.__log(line);

function tfjsConfig(name: string): TfjsConfig {
  const c = namedConfig(name);
  return {
    name, base: c.base, visualBase: c.visualBase, latent: c.latent, batch: c.batch,
    miningSteps: c.miningSteps, miningLr: c.miningLr, lambda: c.lambda, sigma: c.sigma,
  };
}

window.__bench = async (o: BenchOptions) => {
  const adapter: AdapterReport = await init();
  await window.__record("adapter", { ...adapter, userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency });
  log(`adapter: ${adapter.vendor} ${adapter.architecture} ${adapter.description}`);

  log("roofline:");
  const roof: Roofline = await measureRoofline(log, o.quick);
  await window.__record("roofline", roof);

  if (o.parts.includes("kernels")) {
    log("kernels:");
    await window.__record("kernels", await benchKernels(roof, { presets: o.presets, quick: o.quick, grep: o.grep }, log));
  }

  if (o.parts.includes("iteration")) {
    const names = [...new Set([...o.presets, ...(o.parts.includes("tfjs") ? o.tfjs.configs : [])])];
    for (const name of names) {
      log(`iteration (${name}):`);
      try {
        await window.__record("iteration", await benchIteration(name, o.iterations[name] ?? 2, o.phases, roof, log));
      } catch (error) {
        log(`  ${name}: FAILED ${error instanceof Error ? error.stack : error}`);
        await window.__record("iteration", { name, error: String(error) });
      }
    }
  }

  if (o.parts.includes("tfjs")) {
    const stats = runtime().stats();
    log(`engine done (${stats.liveBuffers} live buffers, ${(stats.allocatedBytes / 2 ** 20).toFixed(0)} MiB pooled); TF.js:`);
    for (const name of o.tfjs.configs) {
      for (const backend of o.tfjs.backends) {
        try {
          await window.__record("tfjs", await benchTfjs(backend, tfjsConfig(name), o.tfjs.iterations, log));
        } catch (error) {
          log(`  tfjs ${backend} ${name}: FAILED ${error instanceof Error ? error.stack : error}`);
          await window.__record("tfjs", { backend, config: tfjsConfig(name), error: String(error) });
        }
      }
    }
  }
};
