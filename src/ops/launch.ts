// Shared by the ops: compile-once kernel lookup and the 1-D launch grid of
// elementwise kernels (workgroup_size 256, 2-D grid past 65535 workgroups).
import { runtime, grid, laneSource, lanesFor, type Kernel, type JoinedWgsl, type LaneVariants, type Lanes } from "../gpu/index.js";

export function kernel(file: string, source: string | JoinedWgsl, entry: string, constants?: Record<string, number>): Kernel {
  return runtime().kernel(file, source, entry, constants);
}

/** Launches an elementwise kernel over n elements (one invocation each). */
export function launchElementwise(k: Kernel, buffers: Record<string, GPUBuffer>, params: Record<string, number>, n: number): void {
  runtime().launch(k, buffers, params, grid(Math.ceil(n / k.layout.workgroupSize[0])));
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Dimension `d` of `shape` as an index, counting from the end when negative,
 * as PyTorch does (a 0-d tensor accepts 0 and -1); out of range, an error naming `op`.
 */
export function normalizeDim(op: string, d: number, shape: readonly number[]): number {
  const bound = Math.max(shape.length, 1);
  if (!Number.isInteger(d) || d < -bound || d >= bound) {
    throw new Error(`${op}: dim ${d} is out of range for a tensor of shape ${shapeString(shape)} (expected ${-bound} to ${bound - 1})`);
  }
  return d < 0 ? d + bound : d;
}

/** The variant of `entry` in `lanes` elements per invocation (src/gpu/lanes.ts). */
export function laneKernel(v: LaneVariants, lanes: Lanes, entry: string, constants?: Record<string, number>): Kernel {
  const { name, source } = laneSource(v, lanes);
  return kernel(name, source, entry, constants);
}

/**
 * Launches `entry` of a kernel written over V on n elements: as n / 4 vec4s
 * where n divides by 4, else n scalars; params.n becomes the count of V elements.
 */
export function launchOverLanes(v: LaneVariants, entry: string, buffers: Record<string, GPUBuffer>, params: Record<string, number>, n: number): void {
  const lanes = lanesFor(n);
  launchElementwise(laneKernel(v, lanes, entry), buffers, { ...params, n: n / lanes }, n / lanes);
}
