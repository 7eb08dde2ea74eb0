// Elementwise kernels written once over an element type V and compiled twice:
// V = f32, and V = vec4f for four consecutive elements per invocation wherever
// the element count divides by 4. A streaming pass on SwiftShader pays per
// invocation and per load instruction more than per byte, so the vec4 variant
// moves four elements for little more than the price of one (the bench rows
// "leakyRelu 1M" and "batchNorm [64,8,16,16]" compare them).
import { joinWgsl, type JoinedWgsl } from "./kernel.js";

export type Lanes = 1 | 4;

/**
 * The file with a prelude appended that defines V, LANES and lane_sum(v), the
 * sum of v's components (WGSL declarations may follow their use).
 */
function withLanes(file: string, source: string, lanes: Lanes): JoinedWgsl {
  const prelude = [
    `alias V = ${lanes === 4 ? "vec4f" : "f32"};`,
    `const LANES = ${lanes}u;`,
    `fn lane_sum(v: V) -> f32 { return ${lanes === 4 ? "v.x + v.y + v.z + v.w" : "v"}; }`,
  ];
  return joinWgsl([file, source], [`lanes${lanes} prelude`, prelude.join("\n")]);
}

/** Both element widths of one file, joined once (the pipeline cache is keyed by the source string). */
export interface LaneVariants { file: string; sources: Record<Lanes, JoinedWgsl> }

export function laneVariants(file: string, source: string): LaneVariants {
  return { file, sources: { 1: withLanes(file, source, 1), 4: withLanes(file, source, 4) } };
}

/** The source for `lanes`, and its kernel name: "file[vec4]" for the vec4 one, in errors and profiles. */
export function laneSource(v: LaneVariants, lanes: Lanes): { name: string; source: JoinedWgsl } {
  return { name: lanes === 4 ? `${v.file}[vec4]` : v.file, source: v.sources[lanes] };
}

/** 4 where n elements split into whole vec4s, else 1. */
export function lanesFor(n: number): Lanes {
  return n % 4 === 0 ? 4 : 1;
}
