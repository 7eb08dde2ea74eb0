import { test, assert, assertClose, assertRejects } from "./harness.js";
import { setup } from "./setup.js";
import { tensor, zeros, ones, full, add, mul, sum, mean, noGrad, scope, memoryStats, F, Tensor, rand } from "../src/index.js";
import { OPS, opOf } from "../src/autograd/op-table.js";
import { record } from "../src/autograd/tensor.js";

const grad = async (t: Tensor) => {
  assert(t.grad, `tensor #${t.id} has a gradient`);
  return t.grad.toArray();
};

test("autograd: gradients accumulate across two backward passes", async () => {
  await setup();
  const x = tensor([1, 2, 3], [3], { requiresGrad: true });
  sum(mul(x, x)).backward(); // d/dx = 2x
  sum(mul(x, 3)).backward(); // + 3
  assertClose(await grad(x), [5, 7, 9], "accumulated grad");
});

test("autograd: a tensor used twice in one graph gets the sum of both paths (3 and 4 elements: both accumulate kernels)", async () => {
  await setup();
  for (const values of [[0.5, -1, 2], [0.5, -1, 2, -0.3]]) {
    const x = tensor(values, [values.length], { requiresGrad: true });
    const y = F.tanh(x);
    sum(add(mul(y, y), y)).backward(); // d/dx (y^2 + y) = (2y + 1)(1 - y^2)
    const expected = values.map((v) => (2 * Math.tanh(v) + 1) * (1 - Math.tanh(v) ** 2));
    assertClose(await grad(x), expected, `two paths, ${values.length} elements`);
  }
});

test("autograd: add(x, x) sends the gradient to both operands", async () => {
  await setup();
  const x = tensor([1, 2], [2], { requiresGrad: true });
  sum(add(x, x)).backward();
  assertClose(await grad(x), [2, 2], "x + x");
});

test("autograd: a rule may return one tensor for two inputs, also where the first already holds a gradient", async () => {
  await setup();
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const a = mul(x, 1);
  const b = mul(x, 3);
  const out = noGrad(() => add(a, b));
  record("add", [a, b], out, (g) => {
    const twice = mul(g, 2);
    return [twice, twice];
  });
  // a's other path (mul(a, 1)) is walked before out's rule: a's sum exists when the shared tensor arrives.
  sum(add(out, mul(a, 1))).backward(); // d/dx = 2 * 1 + 2 * 3 + 1
  assertClose(await grad(x), [9, 9], "shared result");
});

test("autograd: the tape names each tensor after an op of the table (op-table.ts)", async () => {
  await setup();
  for (const name of Object.keys(OPS)) assert(/^[a-z][a-zA-Z0-9]*$/.test(name), `op name ${name} is camelCase without "_" (opOf relies on it)`);
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const y = F.tanh(mul(x, 2));
  const loss = sum(y);
  assert(x.op === "leaf" && y.op === "tanh" && y.inputs[0].op === "mul" && loss.op === "sum", `${x.op} ${y.op} ${y.inputs[0].op} ${loss.op}`);
  const u = noGrad(() => add(x, 1));
  assert(u.op === "add" && u.inputs.length === 0, "an op outside the tape is still named");
  assert(rand([2]).op === "rand", "rand is named by its op, not its WGSL entry point");
  loss.backward();
  assert(x.grad !== null && OPS[opOf(x.grad.op)] !== undefined, `the gradient's name ${x.grad?.op} belongs to an op of the table`);
});

test("autograd: noGrad records nothing and detach cuts the tape", async () => {
  await setup();
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const y = noGrad(() => mul(x, 2));
  assert(!y.requiresGrad && y.inputs.length === 0, "noGrad output has no tape");
  const d = x.detach();
  assert(!d.requiresGrad, "detached tensor does not require grad");
  const z = sum(add(mul(x, d), mul(d, 5))); // d/dx = d = x
  z.backward();
  assertClose(await grad(x), [1, 2], "gradient only through the non-detached path");
  assertClose(await d.toArray(), [1, 2], "detach shares values");
});

test("autograd: gradient with respect to an input, networks frozen", async () => {
  await setup();
  const w = tensor([2, -1, 0.5, 3], [2, 2], { requiresGrad: false }); // a frozen weight
  const z = tensor([0.3, -0.2], [1, 2], { requiresGrad: true }); // a latent
  const loss = sum(F.tanh(F.linear(z, w)));
  loss.backward();
  // d/dz sum tanh(z W^T) = (1 - tanh^2(h)) W
  const h = [2 * 0.3 - 1 * -0.2, 0.5 * 0.3 + 3 * -0.2];
  const s = h.map((v) => 1 - Math.tanh(v) ** 2);
  assertClose(await grad(z), [s[0] * 2 + s[1] * 0.5, s[0] * -1 + s[1] * 3], "dL/dz");
  assert(w.grad === null, "a frozen weight receives no gradient");
});

test("autograd: backward needs a scalar or a seed, and a recorded graph", async () => {
  await setup();
  const x = tensor([1, 2], [2], { requiresGrad: true });
  await assertRejects(() => mul(x, 2).backward(), /scalar/, "non-scalar backward");
  await assertRejects(() => tensor([1], [1]).backward(), /does not require grad/, "nothing recorded");
  mul(x, 2).backward(ones([2]));
  assertClose(await grad(x), [2, 2], "seeded backward");
});

test("autograd: backward refuses a seed whose shape differs from the tensor's, naming both shapes", async () => {
  await setup();
  const x = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
  const y = mul(x, 2);
  await assertRejects(() => y.backward(ones([4])), /gradient has shape \[4\].*tensor has shape \[2,2\]/, "seed of as many elements");
  await assertRejects(() => y.backward(ones([2, 1])), /gradient has shape \[2,1\].*tensor has shape \[2,2\]/, "seed that would broadcast");
  assert(x.grad === null, "a refused backward leaves no gradient");
  y.backward(ones([2, 2]));
  assertClose(await grad(x), [2, 2, 2, 2], "the matching seed still works");
});

test("autograd: zeros, ones and full take the same options (requiresGrad)", async () => {
  await setup();
  const made = [zeros([2], { requiresGrad: true }), ones([2], { requiresGrad: true }), full([2], 3, { requiresGrad: true })];
  assert(made.every((t) => t.requiresGrad), "each requires grad when asked");
  assert(!full([2], 3).requiresGrad, "full does not by default");
  assertClose(await made[2].toArray(), [3, 3], "full's values");
  sum(mul(made[2], made[1])).backward();
  assertClose(await grad(made[2]), [1, 1], "a leaf made by full receives its gradient");
});

test("autograd: mean backward spreads 1/n", async () => {
  await setup();
  const x = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
  mean(x).backward();
  assertClose(await grad(x), [0.25, 0.25, 0.25, 0.25], "mean grad");
});

test("autograd: scope frees every intermediate, keeps what it returns", async () => {
  await setup();
  const x = tensor([1, 2, 3], [3], { requiresGrad: true });
  const before = memoryStats().liveBuffers;
  const out = scope(() => {
    const y = mul(F.tanh(x), 2);
    const s = sum(mul(y, y));
    s.backward();
    return s;
  });
  const after = memoryStats().liveBuffers;
  // Survivors: the returned scalar and x's gradient.
  assert(after - before === 2, `live buffers grew by ${after - before}, expected 2 (result and x.grad)`);
  assert(!out.disposed, "the returned tensor survives");
  out.dispose();
  x.grad?.dispose();
  assert(memoryStats().liveBuffers === before, "all freed");
});

test("autograd: scope refuses an async function, after freeing what it created", async () => {
  await setup();
  const before = memoryStats().liveBuffers;
  await assertRejects(() => scope(async () => mul(ones([4]), 2)), /fn must be synchronous/, "async fn");
  assert(memoryStats().liveBuffers === before, `live buffers ${before} -> ${memoryStats().liveBuffers}: the tensors made inside leaked`);
});

test("autograd: Tensor methods chain as in PyTorch and give the F form's values and gradients", async () => {
  await setup();
  const data = [0.5, -1, 2, 0.25, -0.75, 1.5];
  const viaMethods = tensor(data, [2, 3], { requiresGrad: true });
  const viaF = tensor(data, [2, 3], { requiresGrad: true });
  const w = tensor([1, -2, 0.5, 3, 0.1, -1], [3, 2]);
  const a = viaMethods.mul(2).add(1).tanh().matmul(w).sub(0.5).div(3).square().mean();
  const b = F.mean(F.square(F.div(F.sub(F.matmul(F.tanh(F.add(F.mul(viaF, 2), 1)), w), 0.5), 3)));
  assertClose([await a.item()], [await b.item()], "forward through the chain", 0, 0);
  a.backward();
  b.backward();
  assertClose(await grad(viaMethods), await grad(viaF), "backward through the chain", 0, 0);

  const x = tensor(data, [2, 3]);
  const pairs: [string, Tensor, Tensor][] = [
    ["sum(1)", x.sum(1), F.sum(x, 1)],
    ["mean()", x.mean(), F.mean(x)],
    ["reshape", x.reshape([3, 2]), F.reshape(x, [3, 2])],
    ["flatten", x.flatten(), F.flatten(x)],
    ["narrow", x.narrow(1, 1, 2), F.narrow(x, 1, 1, 2)],
    ["relu", x.relu(), F.relu(x)],
    ["sigmoid", x.sigmoid(), F.sigmoid(x)],
    ["leakyRelu", x.leakyRelu(0.2), F.leakyRelu(x, 0.2)],
    ["clamp", x.clamp(-0.5, 0.5), F.clamp(x, -0.5, 0.5)],
    ["neg", x.neg(), F.neg(x)],
    ["mul(tensor)", x.mul(x), F.mul(x, x)],
  ];
  for (const [name, method, functional] of pairs) {
    assert(`${method.shape}` === `${functional.shape}`, `${name}: shape [${method.shape}], F gives [${functional.shape}]`);
    assertClose(await method.toArray(), await functional.toArray(), name, 0, 0);
  }
});
