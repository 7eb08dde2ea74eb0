// The Node side of `npm start -- --runner node`: the same job as the page
// (cli/job.ts), in-process on Dawn's WebGPU for Node. cli/main.ts loads this
// module with import() only after scripts/node-gpu.mjs has created the GPU,
// because the engine reads WebGPU's globals (GPUBufferUsage, ...) when its
// modules load and in Node those come from the `webgpu` package.
import { readFileSync } from "node:fs";
import { init } from "../src/index.js";
import { parseMnist } from "../src/ocgan/data.js";
import type { Host } from "../src/ocgan/experiment.js";
import { runJob, type Job, type JobSummary } from "./job.js";

export async function runJobInNode(job: Job, gpu: GPU, dataFile: string, host: Host): Promise<JobSummary> {
  const info = await init({ gpu });
  return runJob(job, parseMnist(readFileSync(dataFile)), host, info);
}
