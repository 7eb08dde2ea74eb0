// Dawn for Node as scripts/node-gpu.mjs sets it up: while the engine awaits
// the GPU, the main thread sleeps instead of spinning on the core that a CPU
// adapter's worker threads need. Each check runs in a child process, which
// ends with process.exit as Dawn for Node requires.
// Run by `npm test` (test/run.mjs) with node:test; alone: node --test test/system/
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const nodeGpu = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), "../../scripts/node-gpu.mjs")).href;

/** Runs `body` (an async module body that sets `result`) after createNodeGpu(); returns `result`. */
function inChild(body) {
  const script = `import { createNodeGpu } from ${JSON.stringify(nodeGpu)};
    import { readFileSync } from "node:fs";
    const { gpu } = await createNodeGpu({ log: () => {} });
    let result;
    ${body}
    console.log(JSON.stringify(result));
    process.exit(0);`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 120_000 });
  assert.equal(child.status, 0, `child exited with ${child.status}: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1));
}

test("node-gpu: JavaScript callbacks keep setImmediate's order and util.promisify", () => {
  const order = inChild(`
    const { promisify } = await import("node:util");
    const seen = [];
    await new Promise((done) => { setTimeout(() => { seen.push("timer"); done(); }, 0); setImmediate(() => seen.push("immediate")); });
    await promisify(setImmediate)();
    seen.push("promisified");
    result = seen;`);
  assert.deepEqual(order, ["immediate", "timer", "promisified"]);
});

test("node-gpu: the main thread sleeps while a submitted job runs", { skip: process.platform !== "linux" && "reads the main thread's CPU time from /proc" }, () => {
  const { wallMs, mainThreadMs } = inChild(`
    const device = await (await gpu.requestAdapter()).requestDevice();
    const module = device.createShaderModule({ code: \`
      @group(0) @binding(0) var<storage, read_write> out: array<f32>;
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
        var a = f32(g.x);
        for (var i = 0u; i < 20000u; i++) { a = a * 0.9999 + 1.0; }
        out[g.x] = a;
      }\` });
    const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
    const buffer = device.createBuffer({ size: 4 * 64 * 1024, usage: GPUBufferUsage.STORAGE });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
    // user + system time of the main thread (its tid is the pid), in clock ticks of 10 ms
    const mainThreadMs = () => { const f = readFileSync(\`/proc/self/task/\${process.pid}/stat\`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) * 10; };
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline); pass.setBindGroup(0, bindGroup); pass.dispatchWorkgroups(1024); pass.end();
    device.queue.submit([encoder.finish()]);
    const cpu0 = mainThreadMs(), t0 = performance.now();
    await device.queue.onSubmittedWorkDone();
    result = { wallMs: performance.now() - t0, mainThreadMs: mainThreadMs() - cpu0 };`);
  assert.ok(wallMs > 100, `the job should keep the adapter busy for a while (took ${wallMs.toFixed(0)} ms)`);
  // Spinning, the thread used 60-90% of the wait here; sleeping on a 1 ms timer, about 5%.
  assert.ok(mainThreadMs < 0.3 * wallMs, `main thread used ${mainThreadMs} ms of CPU during a ${wallMs.toFixed(0)} ms wait`);
});
