// One engine per page (or Node process): every GPU test awaits setup() first. Without a WebGPU
// adapter setup() rejects, so every GPU test fails with the reason (never skips).
import { init, type AdapterReport } from "../src/index.js";

let ready: Promise<AdapterReport> | null = null;

/**
 * The host's GPU object. A page leaves it unset (init() then uses
 * navigator.gpu); the Node entry (test/node.ts) sets it to Dawn's before any
 * test runs.
 */
export const testHost: { gpu?: GPU } = {};

export function setup(): Promise<AdapterReport> {
  return (ready ??= init({ gpu: testHost.gpu }));
}
