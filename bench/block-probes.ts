// Block probes: how fast can a product kernel shaped like ours run on this
// adapter at all? The FMA roofline (roofline.wgsl) is a loop of independent
// multiply-adds with nothing else in it; a product kernel also keeps an r x c
// block of accumulators and, at every depth step, loads r + c operands. These
// probes time exactly that inner loop, generated here for each block shape,
// with the operands
//   regs    computed from the loop counter (no loads: what the block's
//           registers and multiply-adds alone cost),
//   gather  loaded from a storage buffer at per-lane run-time indices, as the
//           engine's product and conv kernels load them (on SwiftShader every
//           such load is a gather, one lane at a time),
//   quad    the quad kernels' scheme (shaders/quad8x8.wgsl): each lane of a
//           quad loads half of its 8 + 8 operands and swaps in the other half
//           from its neighbours; an 8x8 block per lane (device with subgroups).
// So each conv or linear pass of the kernel table has a measured ceiling
// beside the roofline: the probe of its block shape and load scheme.
import { runtime } from "../src/index.js";
import { now } from "./timing.js";

export type BlockLoads = "regs" | "gather" | "quad";
export interface BlockProbeResult {
  probe: string;
  loads: BlockLoads;
  rows: number;
  cols: number;
  ms: number;
  gflops: number;
  /** Of the FMA roofline measured in the same run. */
  fraction: number;
}

const WG = 64;
const INVOCATIONS = 8192; // 128 workgroups: both cores busy, as a conv pass keeps them
const STEPS = 256; // depth steps per invocation
const OPERANDS = 1 << 16; // floats in each operand buffer (a power of two: indices wrap by masking)

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** The probe's WGSL: an r x c block of named accumulators, STEPS depth steps, the block's sum stored. */
function blockProbeWgsl(loads: BlockLoads, rows: number, cols: number): string {
  const acc = (r: number, c: number) => `c${r}_${c}`;
  const lines: string[] = [];
  if (loads === "quad") lines.push("enable subgroups;", "diagnostic(off, subgroup_uniformity);");
  lines.push(
    "@group(0) @binding(0) var<storage, read> a: array<f32>;",
    "@group(0) @binding(1) var<storage, read> b: array<f32>;",
    "@group(0) @binding(2) var<storage, read_write> sink: array<f32>;",
    `@compute @workgroup_size(${WG})`,
    "fn main(@builtin(global_invocation_id) gid: vec3u) {",
    "  let i = gid.x;",
  );
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) lines.push(`  var ${acc(r, c)} = 0.0;`);
  lines.push(`  for (var k = 0u; k < ${STEPS}u; k++) {`);
  // Distinct per-lane offsets into the operands (odd multipliers, wrapped by a mask).
  const at = (buffer: string, lane: number, j: number) => `${buffer}[(i * ${lane}u + k * 64u + ${j * 977}u) & ${OPERANDS - 1}u]`;
  const half = (n: number) => n / 2;
  for (let r = 0; r < rows; r++) {
    if (loads === "regs") lines.push(`    let a${r} = f32(k) * ${r + 1}.0;`);
    else if (loads === "gather" || r < half(rows)) lines.push(`    let a${r} = ${at("a", 13, r)};`);
    else lines.push(`    let a${r} = quadSwapX(a${r - half(rows)});`);
  }
  for (let c = 0; c < cols; c++) {
    if (loads === "regs") lines.push(`    let b${c} = f32(k) + ${c + 1}.0;`);
    else if (loads === "gather" || c < half(cols)) lines.push(`    let b${c} = ${at("b", 7, c)};`);
    else lines.push(`    let b${c} = quadSwapY(b${c - half(cols)});`);
  }
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) lines.push(`    ${acc(r, c)} += a${r} * b${c};`);
  lines.push("  }");
  const all = names("", rows).flatMap((r) => names("", cols).map((c) => acc(Number(r), Number(c))));
  lines.push(`  sink[i] = ${all.join(" + ")};`, "}");
  return lines.join("\n");
}

/** The shapes probed: the product kernels' 8x8 and its neighbours; quad only where subgroups exist. */
function shapes(subgroups: boolean): [BlockLoads, number, number][] {
  const list: [BlockLoads, number, number][] = [];
  for (const loads of ["regs", "gather"] as const) for (const [r, c] of [[4, 4], [8, 4], [8, 8], [16, 8]]) list.push([loads, r, c]);
  if (subgroups) for (const [r, c] of [[8, 8], [16, 8], [16, 16]]) list.push(["quad", r, c]);
  return list;
}

/** Times each block probe (the fastest of `batches` runs of 3 dispatches), quoted against `fmaGflops`. */
export async function measureBlockProbes(fmaGflops: number, log: (line: string) => void, quick = false): Promise<BlockProbeResult[]> {
  const rt = runtime();
  const device = rt.device;
  const operand = () => device.createBuffer({ size: OPERANDS * 4, usage: GPUBufferUsage.STORAGE });
  const a = operand();
  const b = operand();
  const sink = device.createBuffer({ size: INVOCATIONS * 4, usage: GPUBufferUsage.STORAGE });
  const results: BlockProbeResult[] = [];
  for (const [loads, rows, cols] of shapes(device.features.has("subgroups"))) {
    const probe = `block_${loads}_${rows}x${cols}`;
    const k = await rt.compile(`block-probes:${probe}`, blockProbeWgsl(loads, rows, cols), "main");
    const run = () => rt.launch(k, { a, b, sink }, {}, [INVOCATIONS / WG]);
    run(); // warm-up
    await rt.sync();
    let ms = Infinity;
    for (let batch = 0; batch < (quick ? 2 : 4); batch++) {
      const t = now();
      for (let r = 0; r < 3; r++) run();
      await rt.sync();
      ms = Math.min(ms, (now() - t) / 3);
    }
    // A quad lane multiplies the same rows x cols block; its loads are what differ.
    const gflops = (INVOCATIONS * STEPS * rows * cols * 2) / (ms * 1e6);
    results.push({ probe, loads, rows, cols, ms, gflops, fraction: gflops / fmaGflops });
    log(`  ${probe.padEnd(18)} ${gflops.toFixed(2)} GFLOP/s (${(100 * gflops / fmaGflops).toFixed(1)}% of the FMA roofline)`);
  }
  for (const buffer of [a, b, sink]) buffer.destroy();
  return results;
}
