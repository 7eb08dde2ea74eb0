// A compute kernel compiled from WGSL, with its bind-group layout read off the
// WGSL itself (wgsl_reflect), so a binding is declared once, in the shader.
//
// Convention for every shader in shaders/: storage bindings are named after
// what they hold (`x`, `w`, `out`...), and scalar arguments live in one
// `var<uniform>` struct whose members are filled by name at launch.

import { WgslReflect, ResourceType, type VariableInfo } from "wgsl_reflect";

export type BindingKind = "storage" | "read-only-storage" | "uniform";

export interface ParamMember {
  name: string;
  offset: number;
  type: "f32" | "u32" | "i32";
}

export interface KernelLayout {
  /** Storage bindings by name. */
  buffers: { name: string; binding: number; kind: BindingKind }[];
  /** The uniform struct of scalar arguments, if the entry point uses one. */
  params: { name: string; binding: number; size: number; members: ParamMember[] } | null;
  workgroupSize: [number, number, number];
}

const reflections = new Map<string, WgslReflect>();

function reflect(code: string): WgslReflect {
  let r = reflections.get(code);
  if (!r) reflections.set(code, (r = new WgslReflect(code)));
  return r;
}

function bindingKind(v: VariableInfo): BindingKind {
  if (v.resourceType === ResourceType.Uniform) return "uniform";
  if (v.resourceType !== ResourceType.Storage) {
    throw new Error(`binding '${v.name}' is a ${ResourceType[v.resourceType]}; kernels use only storage and uniform buffers`);
  }
  return v.access === "read" ? "read-only-storage" : "storage";
}

/** Reads the bindings, scalar parameters and workgroup size of one entry point. */
export function layoutOf(name: string, code: string, entry: string): KernelLayout {
  const fn = reflect(code).entry.compute.find((f) => f.name === entry);
  if (!fn) throw new Error(`kernel ${name}: no @compute entry point named '${entry}'`);
  const layout: KernelLayout = { buffers: [], params: null, workgroupSize: [1, 1, 1] };
  for (const v of fn.resources) {
    if (v.group !== 0) throw new Error(`kernel ${name}: binding '${v.name}' must be in @group(0)`);
    const kind = bindingKind(v);
    if (kind === "uniform") {
      const members = (v.members ?? []).map((m) => {
        const type = m.type.name;
        if (type !== "f32" && type !== "u32" && type !== "i32") {
          throw new Error(`kernel ${name}: uniform member '${m.name}' is ${type}; only f32, u32 and i32 scalars are supported`);
        }
        return { name: m.name, offset: m.offset, type } as ParamMember;
      });
      layout.params = { name: v.name, binding: v.binding, size: v.size, members };
    } else {
      layout.buffers.push({ name: v.name, binding: v.binding, kind });
    }
  }
  const wg = fn.workgroupSize;
  if (wg) layout.workgroupSize = [wg[0] || 1, wg[1] || 1, wg[2] || 1];
  return layout;
}

export interface Kernel {
  /** Shader file and entry point, e.g. "unary.wgsl:tanh_forward": used in every error message. */
  readonly name: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroupLayout: GPUBindGroupLayout;
  readonly layout: KernelLayout;
}

/** A shader assembled from several WGSL files (joinWgsl): its code, and the line of it (from 1) each file begins on. */
export interface JoinedWgsl {
  code: string;
  parts: { file: string; firstLine: number }[];
}

/**
 * WGSL files joined one after another, a newline between (a kernel's file and
 * one it appends for what that defines, as block8x8.wgsl), remembering where
 * each begins so that a compile error names the file and line it is in.
 */
export function joinWgsl(...files: [file: string, code: string][]): JoinedWgsl {
  const parts: JoinedWgsl["parts"] = [];
  let firstLine = 1;
  for (const [file, code] of files) {
    parts.push({ file, firstLine });
    firstLine += code.split("\n").length;
  }
  return { code: files.map(([, code]) => code).join("\n"), parts };
}

export function wgslCode(source: string | JoinedWgsl): string {
  return typeof source === "string" ? source : source.code;
}

/**
 * Formats a WGSL compilation message with the offending source line. In a
 * joined shader the line is counted in the file it falls in, named when that
 * is not the kernel's own (the first).
 */
export function formatCompileMessage(name: string, source: string | JoinedWgsl, m: GPUCompilationMessage): string {
  const text = wgslCode(source).split("\n")[m.lineNum - 1] ?? "";
  const parts = typeof source === "string" ? [] : source.parts;
  let part = parts[0];
  for (const p of parts) if (p.firstLine <= m.lineNum) part = p;
  const line = part ? m.lineNum - part.firstLine + 1 : m.lineNum;
  const where = part && part !== parts[0] ? `${name}, in ${part.file} line ${line}` : `${name} line ${line}`;
  return `${where}:${m.linePos}: ${m.type}: ${m.message}\n  ${line} | ${text}`;
}
