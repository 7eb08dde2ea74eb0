// The browser side of `npm start` (--runner chromium): runs the job the command
// line asks for (cli/job.ts) on the page's WebGPU device. Files and progress go
// to the Node side through functions it exposes (cli/main.ts); nothing here
// touches the disk.
import { init } from "../src/index.js";
import { parseMnist } from "../src/ocgan/data.js";
import type { Host, ProgressEvent } from "../src/ocgan/experiment.js";
import { runJob, type Job, type JobSummary } from "./job.js";

export type { Job, JobSummary };

declare global {
  interface Window {
    __runJob(job: Job): Promise<JobSummary>;
    __hostWrite(path: string, base64: string): Promise<void>;
    __hostAppend(path: string, line: string): Promise<void>;
    __hostRead(path: string): Promise<string | null>;
    __hostProgress(event: ProgressEvent): Promise<void>;
  }
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

const host: Host = {
  now: () => performance.now(),
  writeFile: (path, data) => window.__hostWrite(path, toBase64(typeof data === "string" ? new TextEncoder().encode(data) : data)),
  appendLine: (path, line) => window.__hostAppend(path, line),
  readFile: async (path) => {
    const text = await window.__hostRead(path);
    return text === null ? null : fromBase64(text);
  },
  progress: (event) => void window.__hostProgress(event),
};

window.__runJob = async (job) => {
  const info = await init();
  const response = await fetch("data/mnist.bin");
  if (!response.ok) throw new Error(`could not load data/mnist.bin (${response.status}); run \`node build.mjs\``);
  return runJob(job, parseMnist(await response.arrayBuffer()), host, info);
};
