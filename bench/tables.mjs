// The benchmark's tables, as Markdown, from a results file (bench/results/*.json):
// `npm run bench` prints them after a run and with --print FILE, and
// scripts/readme-figures.mjs renders the README's benchmark figures with them.


export const pct = (f) => (Number.isFinite(f) ? `${(100 * f).toFixed(1)}%` : "—");
export const fix = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "—");

export function table(header, rows) {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((h, i) => (i === 0 ? "---" : "---:")).join("|")}|`];
  for (const r of rows) lines.push(`| ${r.join(" | ")} |`);
  return lines.join("\n");
}

export function kernelTable(kernels) {
  return table(
    ["kernel", "pass", "shape", "used by", "ms", "GFLOP/s or GB/s", "of roofline", "of spot check"],
    kernels.map((k) => [
      k.name, k.pass, k.shape, k.usedBy, k.error ? "error" : fix(k.ms, 3),
      k.error ? k.error.slice(0, 60) : k.gflops !== undefined ? `${fix(k.gflops)} GFLOP/s` : `${fix(k.gbps)} GB/s`,
      pct(k.fraction), pct(k.fractionOfSpot),
    ]),
  );
}

/** One row per kernel: its passes side by side, as rate and share of the roofline. */
export function compactKernelTable(kernels) {
  const names = [...new Set(kernels.map((k) => k.name))];
  const cell = (k) => {
    if (!k) return "";
    if (k.error) return "error";
    const rate = k.gflops !== undefined ? fix(k.gflops) : `${fix(k.gbps)} GB/s`;
    return `${fix(k.ms, k.ms < 10 ? 2 : 0)} ms, ${rate} (${pct(k.fraction)})`;
  };
  return table(
    ["kernel (batch as shown)", "used by", "forward / step", "dX", "dW", "FMA spot check"],
    names.map((name) => {
      const ks = kernels.filter((k) => k.name === name);
      const by = (pass) => ks.find((k) => k.pass === pass);
      return [`${name}${ks[0].group.startsWith("conv") ? ` (${ks[0].shape})` : ""}`, ks[0].usedBy,
        cell(by("forward") ?? by("train fwd+bwd") ?? by("step")), cell(by("dX")), cell(by("dW")), `${fix(ks[0].spot?.fmaGflops, 1)}`];
    }),
  );
}

export function iterationTable(its) {
  return table(
    ["config", "ms / iteration", "GFLOP / iteration", "GFLOP/s", "of FMA roofline", "of spot check (GFLOP/s)", "dispatches", "submits", "steps 1,2,4 / mining (ms)"],
    its.map((r) => r.error
      ? [r.name, "error", "", "", "", "", "", "", r.error.slice(0, 60)]
      : [`${r.name} (C ${r.config.base}, Dv ${r.config.visualBase}, d ${r.config.latent}, B ${r.config.batch}, K ${r.config.miningSteps})`,
        fix(r.ms, 0), fix(r.flops.total / 1e9, 2), fix(r.gflops), pct(r.fraction), `${pct(r.fractionOfSpot)} (${fix(r.spotFmaGflops, 1)})`,
        fix(r.dispatches, 0), fix(r.submits, 0),
        r.phases ? `${fix(r.phases.stepsWithoutMiningMs, 0)} / ${fix(r.phases.miningMs, 0)}` : "—"]),
  );
}

export function tfjsTable(tfjs, its) {
  return table(
    ["config", "TF.js backend", "TF.js ms / iteration", "engine ms / iteration", "engine speed-up", "load-adjusted speed-up", "parameters (TF.js / engine)"],
    tfjs.map((t) => {
      const engine = engineIteration(its, t);
      const ok = engine && Number.isFinite(t.ms);
      // Scales each time by the FMA spot check taken around it: a busy machine slows both alike.
      const adjusted = ok && t.spotFmaGflops && engine.spotFmaGflops ? (t.ms * t.spotFmaGflops) / (engine.ms * engine.spotFmaGflops) : NaN;
      return [`${t.config.name} (B ${t.config.batch})`, t.backend, t.error ? `error: ${t.error.slice(0, 60)}` : fix(t.ms, 0), engine ? fix(engine.ms, 0) : "—",
        ok ? `${fix(t.ms / engine.ms, 1)}x` : "—", Number.isFinite(adjusted) ? `${fix(adjusted, 1)}x` : "—",
        `${t.parameters ?? "?"} / ${engine?.parameters ?? "?"}`];
    }),
  );
}

/** The engine's iteration that a TF.js run is compared with: same config, same batch. */
export function engineIteration(its, t) {
  return its.find((r) => r.name === t.config.name && !r.error && r.config.batch === t.config.batch);
}

/**
 * The compute kernels of each profiled iteration against their ceilings: the
 * block probe (bench/block-probes.ts) with the block shape and operand loads
 * that kernel uses. FLOPs per dispatch come from the shape baked into the
 * kernel's key (its override constants); a phase of the input gradient gets
 * its share of the transposed convolution's taps.
 */
export function ceilingTable(results) {
  const blocks = results.roofline?.blocks ?? [];
  const probe = (name) => blocks.find((b) => b.probe === name);
  const rows = [];
  for (const r of results.iterations.filter((r) => r.profile)) {
    for (const k of r.profile.kernels) {
      const [, file, entry, args] = /^([^:]+):(\w+)\((.*)\)$/.exec(k.key) ?? [];
      if (!file) continue;
      const c = Object.fromEntries(args.split(" ").map((kv) => kv.split("=")).map(([a, v]) => [a, Number(v)]));
      const conv = 2 * c.N * c.Co * c.Ho * c.Wo * c.Ci * c.KH * c.KW;
      let flops = null;
      let ceiling = "block_gather_8x8";
      if (file === "matmul.wgsl" && entry === "matmul") flops = 2 * c.M * c.N * c.DEPTH * c.BATCHES;
      else if (/^conv2d_(forward|weight_grad)/.test(entry) || entry === "conv2d_input_grad_direct" || entry === "conv2d_input_grad_tile") flops = conv;
      else if (entry.startsWith("conv2d_input_grad_phases")) flops = (conv * (c.J1 - c.J0) * (c.I1 - c.I0)) / (c.H * c.W); // its share of the input positions
      if (flops === null) continue;
      if (entry.endsWith("_quad")) ceiling = "block_quad_8x8";
      else if (file === "conv2d.wgsl") ceiling = "block_gather_8x4"; // the direct kernels: 8 images x 4 channels
      const gflops = (flops * k.dispatches) / (k.ms * 1e6);
      const p = probe(ceiling);
      rows.push([`${r.name} B ${r.config.batch}`, `${file}:${entry}`, shapeOf(c), fix(k.ms, 1), fix(gflops), pct(gflops / results.roofline.fmaGflops),
        p ? `${ceiling.replace("block_", "")} ${fix(p.gflops)}` : "—", p ? pct(gflops / p.gflops) : "—", k.ms]);
    }
  }
  rows.sort((a, b) => (a[0] === b[0] ? b[8] - a[8] : a[0] < b[0] ? -1 : 1));
  const top = [];
  for (const row of rows) if (top.filter((t) => t[0] === row[0]).length < 14) top.push(row.slice(0, 8));
  return top.length ? table(["iteration", "kernel", "shape", "GPU ms", "GFLOP/s", "of FMA roofline", "ceiling probe (GFLOP/s)", "of its ceiling"], top) : "";
}

/** A conv kernel's key constants as the layer's shape, e.g. "8->16 16x16 N32" (a product: M x N x depth). */
function shapeOf(c) {
  if (c.M !== undefined) return `${c.M}x${c.N}x${c.DEPTH}${c.BATCHES > 1 ? ` x${c.BATCHES}` : ""}`;
  const phase = c.PHY !== undefined ? ` phase ${c.PHY},${c.PHX}` : "";
  return `${c.Ci}->${c.Co} ${c.H}x${c.W} N${c.N}${phase}`;
}

/**
 * Checks against the speed targets (the training-step issue): the fast
 * iteration at every batch and the paper one against the FMA roofline, every
 * conv and linear pass against 10% of the FMA roofline and every memory-bound
 * pass against 30% of the copy roofline, and the fast iteration at batch 32
 * against TF.js's CPU backend. Returns lines.
 */
export function targets(results) {
  const lines = [];
  const mark = (ok) => (ok ? "ok  " : "MISS");
  const measured = results.kernels.filter((k) => !k.error);
  const compute = measured.filter((k) => k.gflops !== undefined && ["conv2d", "convTranspose2d", "linear"].includes(k.group));
  const memory = measured.filter((k) => k.gbps !== undefined);
  const lowest = (ks) => ks.sort((a, b) => a.fraction - b.fraction).slice(0, 6).map((k) => `${k.name} ${k.pass} ${pct(k.fraction)}`).join(", ");
  for (const [ks, share, what] of [[compute, 0.1, "conv and linear passes below 10% of the FMA roofline"], [memory, 0.3, "memory-bound passes below 30% of the copy roofline"]]) {
    if (!ks.length) continue;
    const below = ks.filter((k) => k.fraction < share);
    lines.push(`${mark(!below.length)} ${below.length} of ${ks.length} ${what} (target: none)${below.length ? `; the lowest: ${lowest(below)}` : ""}`);
  }
  for (const k of results.kernels.filter((k) => k.error)) lines.push(`FAIL ${k.name} ${k.pass}: ${k.error}`);
  for (const r of results.iterations.filter((r) => !r.error && (r.name === "fast" || r.name === "paper"))) {
    const want = r.name === "fast" ? 0.3 : 0.35;
    lines.push(`${mark(r.fraction >= want)} ${r.name} iteration at batch ${r.config.batch}: ${fix(r.ms, 0)} ms, ${pct(r.fraction)} of the FMA roofline (target >= ${pct(want)})`);
  }
  for (const t of results.tfjs.filter((t) => !t.error && t.backend === "cpu" && t.config.batch === 32)) {
    const engine = engineIteration(results.iterations, t);
    if (engine) lines.push(`${mark(t.ms / engine.ms >= 10)} ${t.config.name} at batch 32 vs TF.js cpu: ${fix(t.ms / engine.ms, 1)}x faster (target >= 10x)`);
  }
  return lines;
}

/** The kernel variants the engine timed for each layer shape (the whole run's, or else each iteration's), and the one it chose. */
export function choicesTable(results) {
  const timed = results.tuning ?? results.iterations.flatMap((r) => r.kernelChoices ?? []);
  const rows = timed.map((c) => [c.family, c.shape, Object.entries(c.ms).map(([v, ms]) => `${v} ${fix(ms)}`).join(", "), c.chosen]);
  return rows.length ? table(["pass", "shape", "variants (ms)", "chosen"], rows) : "";
}

/** Where one profiled iteration's GPU time went, by kernel entry point (every shape summed). */
export function profileTable(its) {
  const rows = [];
  for (const r of its.filter((r) => r.profile)) {
    const byKernel = new Map();
    for (const k of r.profile.kernels) {
      const name = k.key.split(/[ (]/)[0];
      const e = byKernel.get(name) ?? { ms: 0, dispatches: 0 };
      e.ms += k.ms;
      e.dispatches += k.dispatches;
      byKernel.set(name, e);
    }
    for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
      rows.push([r.name, name, fix(e.ms, 1), pct(e.ms / r.profile.gpuMs), e.dispatches]);
    }
  }
  return rows.length ? table(["config", "kernel", "GPU ms in one iteration", "share", "dispatches"], rows) : "";
}

/** The line that says what a results file measured: date, commit, adapter, runner, machine, load and duration. */
export function describeRun(results) {
  return `${results.date.slice(0, 10)}, commit ${results.commit?.slice(0, 10) ?? "?"}${results.workingTreeDirty ? " (uncommitted changes)" : ""}, ` +
    `${results.adapter ? `${results.adapter.vendor} ${results.adapter.architecture}`.trim() : "no adapter"}, ${results.runner === "node" ? `Node ${results.host.node} (Dawn for Node)` : results.runner === "page" ? `the app's Benchmark view in ${results.browser ?? "a browser"}` : `Chromium ${results.browser ?? "?"}`}, ` +
    `${results.host.cpus ?? "?"} CPUs${results.host.loadavgStart ? `, load average ${fix(results.host.loadavgStart[0], 1)} at start and ${fix(results.host.loadavgEnd?.[0], 1)} at end` : ""}, ${results.durationS} s`;
}

/** The block probes' table: a product kernel's inner loop by block and operand loads. */
export function probeTable(results) {
  const blocks = results.roofline?.blocks ?? [];
  return blocks.length ? table(["block", "operands", "GFLOP/s", "share of the FMA roofline"], blocks.map((b) => [`${b.rows}x${b.cols}`, b.loads, fix(b.gflops), pct(b.fraction)])) : "";
}
