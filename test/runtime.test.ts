import { test, assert, assertClose, assertRejects } from "./harness.js";
import { setup, testHost } from "./setup.js";
import { tensor, runtime, memoryStats } from "../src/index.js";

test("runtime: a WebGPU adapter is available and reports its info", async () => {
  const info = await setup();
  console.log(`adapter: ${JSON.stringify(info)}`);
  assert(typeof info.architecture === "string", "adapter info has an architecture");
});

test("runtime: tensor round-trips its data through the GPU", async () => {
  await setup();
  const t = tensor([1, 2, 3, -4.5, 5, 6], [2, 3]);
  assertClose(await t.toArray(), [1, 2, 3, -4.5, 5, 6], "toArray");
  t.dispose();
});

test("runtime: a WGSL compile error names the kernel and the line", async () => {
  await setup();
  const bad = "@compute @workgroup_size(1)\nfn broken() {\n  let x: f32 = undefined_thing;\n}\n";
  // A separate device keeps the deliberate error from poisoning the shared runtime.
  const { createRuntime } = await import("../src/gpu/index.js");
  const rt = await createRuntime({ gpu: testHost.gpu });
  await assertRejects(() => rt.compile("broken.wgsl", bad, "broken"), /broken\.wgsl:broken line 3:\d+.*undefined_thing/s, "compile error");
  rt.device.destroy();
  assert(runtime() !== rt, "the shared runtime is untouched");
});

test("runtime: a buffer beyond the device limit gives the size asked for and the limit", async () => {
  await setup();
  const limit = runtime().device.limits.maxStorageBufferBindingSize;
  await assertRejects(() => tensor(new Float32Array(0), [Math.ceil(limit / 4) + 16]), /tensor\(\)/, "data length check first");
  const { empty } = await import("../src/autograd/tensor.js");
  await assertRejects(() => empty([Math.ceil(limit / 4) + 16]), new RegExp(`${limit}`), "limit in message");
  void memoryStats();
});
