// Acquiring an adapter and a device. The host passes its `GPU` object in
// (navigator.gpu in a page, the `webgpu` package's create() in Node), so the
// core never touches a host API itself.

import { Runtime, GpuError, type AdapterReport } from "./runtime.js";

export interface InitOptions {
  /** The host's WebGPU entry point; defaults to globalThis.navigator.gpu. */
  gpu?: GPU;
  /** An existing device to use instead of requesting one. */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
}

const NO_WEBGPU =
  "WebGPU is not available. In Chromium, launch with --enable-unsafe-webgpu (headless on a machine without a GPU " +
  "uses SwiftShader: install Debian's 'chromium' package) and serve the page from http://127.0.0.1 or localhost, " +
  "since navigator.gpu exists only in a secure context.";

/** The limits that shape compute kernels, reported with the adapter (the benchmark pages show them). */
export const REPORTED_LIMITS = [
  "maxComputeWorkgroupSizeX", "maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupStorageSize", "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize", "maxBufferSize", "maxStorageBuffersPerShaderStage",
] as const;

function describe(info: GPUAdapterInfo | undefined, features: Iterable<string>, limits: GPUSupportedLimits): AdapterReport {
  const reported: Record<string, number> = {};
  for (const name of REPORTED_LIMITS) reported[name] = limits[name];
  // Subgroup sizes are on the adapter's info where the browser has them (Chromium does).
  const subgroups = info as { subgroupMinSize?: number; subgroupMaxSize?: number } | undefined;
  if (subgroups?.subgroupMinSize) reported.subgroupMinSize = subgroups.subgroupMinSize;
  if (subgroups?.subgroupMaxSize) reported.subgroupMaxSize = subgroups.subgroupMaxSize;
  return {
    vendor: info?.vendor ?? "",
    architecture: info?.architecture ?? "",
    device: info?.device ?? "",
    description: info?.description ?? "",
    features: [...features].sort(),
    limits: reported,
  };
}

export async function createRuntime(options: InitOptions = {}): Promise<Runtime> {
  if (options.device) {
    const device = options.device;
    return new Runtime(device, describe((device as { adapterInfo?: GPUAdapterInfo }).adapterInfo, device.features, device.limits));
  }
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new GpuError(NO_WEBGPU);
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? "high-performance" });
  if (!adapter) throw new GpuError(`requestAdapter() returned null. ${NO_WEBGPU}`);
  // Ask for the adapter's own limits on buffer sizes: the defaults (128/256 MiB) are
  // too small for the paper preset's activations at large batch sizes.
  const want = ["maxBufferSize", "maxStorageBufferBindingSize", "maxComputeWorkgroupStorageSize",
    "maxComputeInvocationsPerWorkgroup", "maxStorageBuffersPerShaderStage"] as const;
  const requiredLimits: Record<string, number> = {};
  for (const name of want) requiredLimits[name] = adapter.limits[name];
  // Subgroups let the product kernels' quad variants share loads (shaders/quad8x8.wgsl).
  const requiredFeatures = (["timestamp-query", "subgroups"] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  return new Runtime(device, describe(adapter.info, adapter.features, device.limits));
}
