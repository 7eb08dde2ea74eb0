// Entry of `npm run bench`'s headless page (bench/run.mjs builds, serves and
// drives it): window.__bench(options) runs the benchmarks (bench/bench.ts) and
// hands each result to the driver through window.__record as it arrives.
import { runBench, type BenchOptions } from "./bench.js";

declare global {
  interface Window {
    __bench(options: BenchOptions): Promise<void>;
    __record(section: string, data: unknown): Promise<void>;
    __log(line: string): Promise<void>;
  }
}

window.__bench = (o) => runBench(o, {
  record: (section, data) => window.__record(section, data),
  log: (line) => void window.__log(line),
  environment: { userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency },
});
