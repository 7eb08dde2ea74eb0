import { test, assert, assertClose } from "./harness.js";
import { setup } from "./setup.js";
import { tensor, randn, rand, manualSeed, scope, memoryStats, nn, F, Adam } from "../src/index.js";

test("nn: rand and randn are reproducible from the seed and have the right moments", async () => {
  await setup();
  const a = await randn([4096], { seed: 3 }).toArray();
  const b = await randn([4096], { seed: 3 }).toArray();
  const c = await randn([4096], { seed: 4 }).toArray();
  assertClose(a, b, "same seed, same values", 0, 0);
  assert(a.some((v, i) => v !== c[i]), "another seed, other values");
  const m = a.reduce((s, v) => s + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length);
  assert(Math.abs(m) < 0.06 && Math.abs(sd - 1) < 0.05, `randn moments: mean ${m}, std ${sd}`);
  const u = await rand([4096], { seed: 5, lo: -1, hi: 1 }).toArray();
  assert(u.every((v) => v >= -1 && v < 1), "rand within [-1, 1)");
  const um = u.reduce((s, v) => s + v, 0) / u.length;
  assert(Math.abs(um) < 0.05, `rand mean ${um}`);
  manualSeed(11);
  const g1 = await randn([8]).toArray();
  manualSeed(11);
  const g2 = await randn([8]).toArray();
  assertClose(g1, g2, "manualSeed makes the global stream repeat", 0, 0);
});

test("nn: Adam matches PyTorch's update rule over three steps (3 elements: scalar kernel; 8: vec4)", async () => {
  await setup();
  for (const [p0, g] of [[[0.5, -1.5, 2], [0.1, -0.3, 0.7]], [[0.5, -1.5, 2, 0, 1, -0.2, 3, -4], [0.1, -0.3, 0.7, 0.2, -1, 0, 0.05, 2]]]) {
    const n = p0.length;
    const param = tensor(p0, [n], { requiresGrad: true });
    const opt = new Adam([param], { lr: 0.1, betas: [0.5, 0.999], eps: 1e-8, weightDecay: 0.01 });
    const ref = { p: [...p0], m: new Array<number>(n).fill(0), v: new Array<number>(n).fill(0) };
    for (let t = 1; t <= 3; t++) {
      opt.zeroGrad();
      param.grad = tensor(g, [n]);
      opt.step();
      for (let i = 0; i < n; i++) {
        const gi = g[i] + 0.01 * ref.p[i];
        ref.m[i] = 0.5 * ref.m[i] + 0.5 * gi;
        ref.v[i] = 0.999 * ref.v[i] + 0.001 * gi * gi;
        const denom = Math.sqrt(ref.v[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
        ref.p[i] -= (0.1 / (1 - 0.5 ** t)) * (ref.m[i] / denom);
      }
    }
    assertClose(await param.toArray(), ref.p, `Adam parameters, ${n} elements`, 1e-6, 1e-5);
    opt.dispose();
  }
});

test("nn: modules name their parameters and buffers like PyTorch and switch train/eval", async () => {
  await setup();
  const net = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Linear(4, 2));
  const names = [...net.stateDict().keys()];
  const expected = ["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias", "1.running_mean", "1.running_var"];
  assert(JSON.stringify(names) === JSON.stringify(expected), `state dict names ${names}`);
  net.eval();
  assert([...net.namedModules()].every(([, m]) => !m.training), "eval() reaches every module");
  const w = await (net.layers[0] as nn.Conv2d).weight.toArray();
  assert(w.every((v) => Math.abs(v) <= 1 / 3), "default init within PyTorch's bound 1/sqrt(fan_in)");
  net.requiresGrad_(false);
  assert(net.parameters().every((p) => !p.requiresGrad), "requiresGrad_(false) freezes every parameter");
  net.requiresGrad_();
  assert(net.parameters().every((p) => p.requiresGrad), "requiresGrad_() unfreezes them");
  net.dispose();
});

test("nn: 200 iterations of a small conv net with Adam keep GPU memory flat", async () => {
  await setup();
  manualSeed(1);
  const net = new nn.Sequential(
    new nn.Conv2d(1, 4, 4, { stride: 2, padding: 1 }), new nn.BatchNorm2d(4), new nn.LeakyReLU(0.2),
    new nn.ConvTranspose2d(4, 1, 4, { stride: 2, padding: 1 }), new nn.Tanh(),
  );
  const opt = new Adam(net.parameters(), { lr: 1e-2, betas: [0.5, 0.999] });
  const x = rand([4, 1, 8, 8], { lo: -1, hi: 1 });
  const losses: number[] = [];
  let baseline = { liveBuffers: 0, liveBytes: 0, allocatedBytes: 0 };
  for (let i = 0; i < 200; i++) {
    const loss = scope(() => {
      opt.zeroGrad();
      const l = F.mseLoss(net.forward(x), x);
      l.backward();
      opt.step();
      return l;
    });
    if (i % 50 === 0 || i === 199) losses.push(await loss.item());
    loss.dispose();
    if (i === 0) baseline = memoryStats();
  }
  const end = memoryStats();
  assert(end.liveBuffers === baseline.liveBuffers, `live buffers ${baseline.liveBuffers} -> ${end.liveBuffers}`);
  assert(end.liveBytes === baseline.liveBytes, `live bytes ${baseline.liveBytes} -> ${end.liveBytes}`);
  assert(end.allocatedBytes <= baseline.allocatedBytes * 2, `pool grew from ${baseline.allocatedBytes} to ${end.allocatedBytes} bytes`);
  assert(losses[losses.length - 1] < losses[0] * 0.5, `the net learns: loss ${losses.map((l) => l.toFixed(4)).join(" -> ")}`);
  opt.dispose();
  net.dispose();
  x.dispose();
});
