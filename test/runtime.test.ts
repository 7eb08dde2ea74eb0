import { test, assert, assertClose, assertRejects } from "./harness.js";
import { setup, testHost } from "./setup.js";
import { tensor, runtime, memoryStats, type Tensor } from "../src/index.js";
import { joinWgsl, formatCompileMessage } from "../src/gpu/kernel.js";

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

test("runtime: a compile error in a file appended to a kernel's (joinWgsl) names that file and its own line", async () => {
  await setup();
  const main = "@compute @workgroup_size(1)\nfn main() {\n  helper();\n}\n";
  const appended = "// defines helper()\nfn helper() {\n  let y: f32 = not_defined;\n}\n";
  const { createRuntime, joinWgsl } = await import("../src/gpu/index.js");
  const rt = await createRuntime({ gpu: testHost.gpu });
  await assertRejects(
    () => rt.compile("main.wgsl", joinWgsl(["main.wgsl", main], ["helper.wgsl", appended]), "main"),
    /main\.wgsl:main, in helper\.wgsl line 3:\d+: error: .*not_defined.*\n  3 \|   let y: f32 = not_defined;/s,
    "error in the appended file",
  );
  rt.device.destroy();
});

test("runtime: compile messages of a joined shader count lines per file", () => {
  const joined = joinWgsl(["a.wgsl", "a1\na2\n"], ["b.wgsl", "b1\nb2"], ["c.wgsl", "c1"]);
  const at = (lineNum: number) => formatCompileMessage("a.wgsl:main", joined, { lineNum, linePos: 4, type: "error", message: "m" } as GPUCompilationMessage);
  assert(at(2) === "a.wgsl:main line 2:4: error: m\n  2 | a2", `in the kernel's own file: ${at(2)}`);
  assert(at(5) === "a.wgsl:main, in b.wgsl line 2:4: error: m\n  2 | b2", `in the first appended file: ${at(5)}`);
  assert(at(6) === "a.wgsl:main, in c.wgsl line 1:4: error: m\n  1 | c1", `in the second: ${at(6)}`);
  assert(formatCompileMessage("x.wgsl:f", "l1\nl2", { lineNum: 2, linePos: 1, type: "error", message: "m" } as GPUCompilationMessage) === "x.wgsl:f line 2:1: error: m\n  2 | l2", "a single file as before");
});

test("runtime: a tensor disposed after the runtime changed gives its buffer back to the pool it came from", async () => {
  await setup();
  const { createRuntime, setRuntime } = await import("../src/gpu/index.js");
  const shared = runtime();
  const other = await createRuntime({ gpu: testHost.gpu });
  setRuntime(other);
  let t: Tensor;
  try {
    t = tensor([1, 2, 3], [3]);
  } finally {
    setRuntime(shared);
  }
  const before = memoryStats().liveBuffers;
  t.dispose();
  assert(memoryStats().liveBuffers === before, "the shared pool is untouched");
  assert(other.stats().liveBuffers === 0, `the other pool has ${other.stats().liveBuffers} live buffers, expected 0`);
  other.device.destroy();
});

test("runtime: a buffer beyond the device limit gives the size asked for and the limit", async () => {
  await setup();
  const limit = runtime().device.limits.maxStorageBufferBindingSize;
  await assertRejects(() => tensor(new Float32Array(0), [Math.ceil(limit / 4) + 16]), /tensor\(\)/, "data length check first");
  const { empty } = await import("../src/autograd/tensor.js");
  await assertRejects(() => empty([Math.ceil(limit / 4) + 16]), new RegExp(`${limit}`), "limit in message");
  void memoryStats();
});

test("tuner: a stored choice is reused for the same candidates, and timed again when a variant is added", async () => {
  const { Tuner } = await import("../src/gpu/tuner.js");
  const ran: string[] = [];
  const run = (variant: string) => void ran.push(variant);
  const first = new Tuner();
  assert(first.pick("conv", "x[2]", ["a", "b"], run) === "a", "the first candidate runs until a choice is made");
  await first.tune(async (records) => records.map((_, i) => (i === 1 ? 1 : 2))); // b is faster
  assert(first.pick("conv", "x[2]", ["a", "b"], run) === "b", "the timed choice is used");
  const stored = first.exportChoices();

  const again = new Tuner();
  again.importChoices(stored);
  assert(again.pick("conv", "x[2]", ["a", "b"], run) === "b" && again.pendingCount === 0, "a later process reuses the stored choice");
  assert(again.pick("conv", "x[2]", ["c", "a", "b"], run) === "c" && (again.pendingCount as number) === 1, "with a new candidate the shape is timed again");
  await again.tune(async (records) => records.map((_, i) => (i === 2 ? 1 : 2)));
  assert(again.pick("conv", "x[2]", ["c", "a", "b"], run) === "b", "among the new candidates the timing decides");
});
