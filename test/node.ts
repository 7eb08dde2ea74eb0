// Entry of the test bundle for Node: the same test files as the page
// (test/all.ts), run in-process on Dawn's WebGPU for Node. test/run.mjs forks
// this bundle and receives every result over the IPC channel; run alone
// (node <bundle> [--grep text] [--trace]) it prints them itself.
//
// Tests that need a browser API are left out here by name, each with the
// reason, and the runner prints that note: none is dropped silently, and a
// name that no longer matches a registered test fails the run.
//
// The engine reads WebGPU's globals (GPUBufferUsage, ...) when its modules
// load, and in Node those come from the `webgpu` package: so this file
// imports nothing of the engine statically. It creates Dawn's GPU first
// (which installs the globals), then loads the tests with import().
import { runTests, testNames, type TestResult } from "./harness.js";
import type { RunnerTrace } from "./trace.js";
// @ts-expect-error plain ES module shared with the CLI and the benchmarks
import { createNodeGpu } from "../scripts/node-gpu.mjs";

/** Browser-only tests, by exact name, and what they need. */
export const BROWSER_ONLY: Record<string, string> = {
  "png: Chromium's decoder opens our grayscale and RGB files with the exact pixels":
    "needs the browser's image decoder (createImageBitmap, OffscreenCanvas)",
  "png: the deflate-compressed encoding decodes to the same pixels and is smaller":
    "needs the browser's image decoder (createImageBitmap, OffscreenCanvas)",
};

export type NodeMessage =
  | { type: "excluded"; name: string; reason: string }
  | { type: "result"; result: TestResult }
  | { type: "trace"; trace: RunnerTrace }
  | { type: "done" };

const send = (message: NodeMessage): Promise<void> =>
  new Promise((resolve) => {
    if (process.send) process.send(message, () => resolve());
    else {
      if (message.type === "result") {
        const r = message.result;
        console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name} (${Math.round(r.ms)} ms)${r.ok ? "" : `\n     ${r.error}`}`);
      } else if (message.type === "excluded") console.log(`skip ${message.name}: ${message.reason}`);
      else if (message.type === "trace") console.log(JSON.stringify(message.trace));
      resolve();
    }
  });

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const grepAt = argv.indexOf("--grep");
  const filter = grepAt >= 0 ? argv[grepAt + 1] ?? "" : "";
  const wantTrace = argv.includes("--trace");
  const wantTests = !argv.includes("--no-tests");

  let gpu: GPU | undefined;
  try {
    gpu = (await createNodeGpu()).gpu; // prints the adapter it picked
  } catch (error) {
    // Every GPU test then fails with this reason through setup(); CPU-only tests still run.
    console.error(`webgpu (Dawn for Node): ${(error as Error).message}`);
  }
  const { testHost } = await import("./setup.js");
  testHost.gpu = gpu;
  await import("./all.js");
  const { runnerTrace } = await import("./trace.js");

  if (wantTests) {
    const names = new Set(testNames());
    for (const [name, reason] of Object.entries(BROWSER_ONLY)) {
      if (!names.has(name)) {
        await send({ type: "result", result: { name: `node exclusions: "${name}"`, ok: false, ms: 0, error: "test/node.ts excludes a test that no longer exists: update BROWSER_ONLY" } });
      } else if (!filter || name.includes(filter)) {
        await send({ type: "excluded", name, reason });
      }
    }
    const selected = (name: string) => !(name in BROWSER_ONLY) && (!filter || name.includes(filter));
    const pending: Promise<void>[] = [];
    await runTests(selected, (result) => void pending.push(send({ type: "result", result })));
    await Promise.all(pending);
  }
  if (wantTrace) {
    try {
      await send({ type: "trace", trace: await runnerTrace() });
    } catch (error) {
      await send({ type: "result", result: { name: "cross-runner: the tiny training trace on Node", ok: false, ms: 0, error: (error as Error).stack ?? String(error) } });
    }
  }
  await send({ type: "done" });
}

main().then(
  // Dawn's GPU object keeps the event loop alive while referenced: exit explicitly.
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
