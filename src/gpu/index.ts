// The process-wide runtime that ops dispatch on, set once by init().
import type { Runtime } from "./runtime.js";

let current: Runtime | null = null;

export function setRuntime(runtime: Runtime | null): void {
  current = runtime;
}

export function runtime(): Runtime {
  if (!current) throw new Error("no GPU runtime: call `await init()` before creating tensors");
  return current;
}

export { Runtime, GpuError, grid, type AdapterReport, type RuntimeStats, type ProfileEntry } from "./runtime.js";
export type { TuneResult } from "./tuner.js";
export { createRuntime, type InitOptions } from "./device.js";
export { joinWgsl, type Kernel, type JoinedWgsl } from "./kernel.js";
export { laneVariants, laneSource, lanesFor, type Lanes, type LaneVariants } from "./lanes.js";
