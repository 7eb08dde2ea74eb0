// Types of bench/results.mjs (plain JavaScript, so bench/run.mjs runs it as it is).
import type { AdapterReport, TuneResult } from "../src/index.js";
import type { Roofline } from "./roofline.js";
import type { KernelResult } from "./kernels.js";
import type { IterationResult } from "./iteration.js";
import type { TfjsResult } from "./tfjs-ocgan.js";

export interface BenchResults {
  date: string;
  commit: string | null;
  workingTreeDirty: boolean;
  host: Record<string, unknown> & { cpus?: number };
  options: unknown;
  runner: "chromium" | "node" | "page";
  browser?: string;
  adapter: (AdapterReport & Record<string, unknown>) | null;
  roofline: Roofline | null;
  kernels: KernelResult[];
  iterations: (IterationResult | { name: string; batch?: number; error: string })[];
  tfjs: (TfjsResult & { spotFmaGflops?: number } | { backend: string; config: { name: string; batch: number }; error: string })[];
  tuning?: TuneResult[];
  timeline: { section: string; name: string | null; atS: number }[];
  durationS: number | null;
}

export function newResults(meta: {
  commit?: string | null; workingTreeDirty?: boolean; host: BenchResults["host"]; options: unknown; runner: BenchResults["runner"]; browser?: string;
}): BenchResults;
export function recordResult(results: BenchResults, section: string, data: unknown): void;
export function finishResults(results: BenchResults): BenchResults;
export function resultsFileName(results: BenchResults, full: boolean): string;
