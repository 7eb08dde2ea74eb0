// One engine per page: every GPU test awaits setup() first. Without a WebGPU
// adapter setup() rejects, so every GPU test fails with the reason (never skips).
import { init, type AdapterReport } from "../src/index.js";

let ready: Promise<AdapterReport> | null = null;

export function setup(): Promise<AdapterReport> {
  return (ready ??= init());
}
