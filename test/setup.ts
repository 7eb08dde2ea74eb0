// One engine per page (or Node process): every GPU test awaits setup() first. Without a WebGPU
// adapter setup() rejects, so every GPU test fails with the reason (never skips).
import { init, memoryStats, Tensor, type AdapterReport } from "../src/index.js";
import { openScope } from "../src/autograd/scope.js";
import { watchMemory } from "./harness.js";

let ready: Promise<AdapterReport> | null = null;
let engineUp = false;

// The harness's per-test leak check (no buffers before the engine exists). A
// test's tensors are freed with the gradients they accumulated: a leaf owns
// its .grad, kept out of every scope so that backward() can fill it.
watchMemory({
  liveBuffers: () => (engineUp ? memoryStats().liveBuffers : 0),
  collect: () => {
    const close = openScope();
    return () => {
      for (const t of close()) if (t instanceof Tensor) t.grad?.dispose();
    };
  },
});

/**
 * The host's GPU object. A page leaves it unset (init() then uses
 * navigator.gpu); the Node entry (test/node.ts) sets it to Dawn's before any
 * test runs.
 */
export const testHost: { gpu?: GPU } = {};

export function setup(): Promise<AdapterReport> {
  return (ready ??= init({ gpu: testHost.gpu }).then((adapter) => {
    engineUp = true;
    return adapter;
  }));
}
