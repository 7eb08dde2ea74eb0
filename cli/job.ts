// The job that `npm start` runs, shared by both runners: the page (cli/page.ts,
// in headless Chromium) and Node (cli/node-job.ts, on Dawn's WebGPU). Each
// runner acquires its GPU, loads the data and supplies a Host for files and
// progress; everything from there on is this one function.
import { runExperiment, type Host, type ExperimentResult, type KernelChoiceStore } from "../src/ocgan/experiment.js";
import { renderReport } from "../src/ocgan/report.js";
import type { MnistDataset } from "../src/ocgan/data.js";
import type { OcganConfig } from "../src/ocgan/config.js";
import type { AdapterReport } from "../src/index.js";

export interface Job {
  experiments: { name: string; config: OcganConfig; resume?: string }[];
  selection: "validation-mse" | "last";
  /** Absolute path of the file that keeps the engine's kernel choices per adapter, or null for none. */
  kernelCache: string | null;
}

export interface JobSummary {
  adapter: string;
  results: Omit<ExperimentResult, "lossHistory">[];
}

export function adapterName(info: AdapterReport): string {
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(" / ") || "unknown adapter";
}

/**
 * The kernel choices of this adapter in the cache file, which holds one entry
 * per adapter name; the host's file functions write it atomically.
 */
function kernelCache(path: string, adapter: string, host: Host): KernelChoiceStore {
  const all = async (): Promise<Record<string, Record<string, string>>> => {
    const bytes = await host.readFile(path);
    if (!bytes) return {};
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes));
      return parsed && typeof parsed === "object" ? parsed : {};
    } catch {
      return {}; // a damaged cache is timed anew and rewritten
    }
  };
  return {
    load: async () => (await all())[adapter] ?? null,
    save: async (choices) => host.writeFile(path, JSON.stringify({ ...(await all()), [adapter]: choices }, null, 1)),
  };
}

/** Runs the job's experiments in order on the engine's current device, then writes the report (index.html). */
export async function runJob(job: Job, dataset: MnistDataset, host: Host, info: AdapterReport): Promise<JobSummary> {
  const adapter = adapterName(info);
  const kernelChoices = job.kernelCache ? kernelCache(job.kernelCache, adapter, host) : undefined;
  const results: ExperimentResult[] = [];
  for (const { name, config, resume } of job.experiments) {
    const bytes = resume ? await host.readFile(resume) : null;
    const options = { selection: job.selection, resume: bytes ? { bytes, fileName: resume! } : undefined, kernelChoices };
    results.push(await runExperiment(name, config, dataset, host, options));
  }
  await host.writeFile("index.html", renderReport(results, adapter));
  return { adapter, results: results.map(({ lossHistory: _, ...rest }) => rest) };
}
