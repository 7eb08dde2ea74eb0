// The benchmarks in Node on Dawn's WebGPU (`npm run bench -- --runner node`):
// bench/run.mjs bundles this file, imports it and calls benchInNode with the
// same record/log functions it gives the page. The benchmark code is the
// page's own (runBench in bench/bench.ts); only the host differs.
//
// The engine reads WebGPU's globals (GPUBufferUsage, ...) when its modules
// load, and in Node those come from the `webgpu` package: so the benchmark
// modules are loaded with import() after the GPU has been created.
import { cpus } from "node:os";
import type { BenchOptions } from "./bench.js";
// @ts-expect-error plain ES module shared with the tests and the CLI
import { createNodeGpu } from "../scripts/node-gpu.mjs";

export async function benchInNode(
  options: BenchOptions,
  record: (section: string, data: unknown) => Promise<void> | void,
  log: (line: string) => void,
): Promise<{ dawn: string; driver: string }> {
  const { gpu, description, driver } = await createNodeGpu({ log });
  const { runBench } = await import("./bench.js");
  await runBench(options, {
    gpu,
    record: async (section, data) => void (await record(section, data)),
    log,
    environment: { runner: "node", dawnDriver: driver, hardwareConcurrency: cpus().length },
  });
  return { dawn: description, driver };
}
