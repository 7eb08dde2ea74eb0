// `npm run reproduce` (dist/cli/reproduce.mjs) and scripts/render-results.mjs,
// from outside, on temporary --results and --runs (the repository's results/
// and runs/ are never touched):
//  - --dry-run lists the grid in priority order; --shard 0/2 and 1/2 split it;
//  - a tiny grid of two runs (OCGAN and AE on digit 0, one epoch) run as two
//    shards, one launching Chromium and one through --browser-ws on a
//    Playwright browser server, appends two full records and renders README.md;
//  - run again, it skips both without starting a browser; a run folder holding
//    a checkpoint resumes from it; a run folder another live process works in
//    is left alone (its lock is held); the locks are released after;
//  - the renderer: mean ± std over seeds, the paper beside, PARTIAL until the
//    grid is whole, cut lines skipped.
// Run by `npm test` (test/run.mjs) with node:test; alone: node --test test/system/reproduce.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync, copyFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { lockFolder } from "../../scripts/lock.mjs";
import { addToPlan } from "../../scripts/render-results.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const reproduce = join(root, "dist/cli/reproduce.mjs");
const renderer = join(root, "scripts/render-results.mjs");
const work = mkdtempSync(join(tmpdir(), "reproduce-test-"));
const results = join(work, "results", "tiny.jsonl");
const runs = join(work, "runs");
const NO_CHROMIUM = { CHROMIUM_PATH: join(work, "no-chromium-here") };
after(() => rmSync(work, { recursive: true, force: true }));

before(() => {
  const r = spawnSync(process.execPath, ["build.mjs"], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, `node build.mjs failed:\n${r.stderr}`);
});

/** Runs a command to completion in `work`; resolves with code, stdout, stderr. */
function run(file, args, env = {}, timeoutMs = 5 * 60_000, replaceEnv = false) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { cwd: work, env: replaceEnv ? env : { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The entries of a --dry-run listing: index, parts, id, status. */
function listing(stdout) {
  return stdout.split("\n").filter((l) => l.startsWith("#")).map((l) => {
    const m = /^#\s*(\d+) part ([\d+]+)\s+(\S+)\s.*: (.*)$/.exec(l);
    assert.ok(m, `a listing line: ${l}`);
    return { index: Number(m[1]), parts: m[2], id: m[3], status: m[4] };
  });
}

const records = () => readFileSync(results, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
const tiny = (epochs) => ["--preset", "tiny", "--digits", "0", "--parts", "1", "--epochs", String(epochs), "--results", results, "--runs", runs];
const TINY = tiny(1);

test("reproduce: --dry-run lists the whole grid in priority order and --shard 0/2 and 1/2 partition it", async () => {
  const empty = ["--results", join(work, "none.jsonl"), "--runs", join(work, "no-runs")];
  const full = await run(reproduce, ["--dry-run", ...empty], NO_CHROMIUM);
  assert.equal(full.code, 0, full.stderr);
  const all = listing(full.stdout);
  assert.equal(all.length, 100, "10 digits x (OCGAN + AE with 3 seeds each, +Dl, +Dv, DAE, the authors' loss weights)");
  assert.deepEqual(all.map((e) => e.index), all.map((_, i) => i));
  assert.match(all[0].id, /^ocgan-d0-s1-fast-[0-9a-f]{10}$/);
  assert.match(all[1].id, /^ae-d0-s1-fast-/);
  assert.equal(all[0].parts, "1+3", "part 1's OCGAN and AE are also the ablation's ends");
  assert.match(all[20].id, /^ocgan-d0-s2-fast-/, "part 2 after all of part 1");
  assert.match(all[21].id, /^ae-d0-s2-fast-/, "part 2 gives the AE the same seeds");
  assert.match(all[60].id, /^ocgan-dl-d0-s1-fast-/, "part 3 last");
  assert.equal(all.filter((e) => e.id.startsWith("dae-")).length, 10);
  assert.match(all[90].id, /^ocgan-authors-d0-s1-fast-/, "part 4 after part 3");
  assert.equal(new Set(all.map((e) => e.id)).size, 100, "ids are unique");
  assert.ok(all.every((e) => e.status === "to do"));
  assert.match(full.stdout, /0 of 100 done, 100 to run/);
  const aeOnly = listing((await run(reproduce, ["--dry-run", "--variants", "ae", ...empty], NO_CHROMIUM)).stdout);
  assert.deepEqual(aeOnly.map((e) => e.id), all.filter((e) => e.id.startsWith("ae-")).map((e) => e.id), "--variants ae: the AE runs, in the grid's order");
  assert.ok(!existsSync(join(work, "no-runs")) && !existsSync(join(work, "none.jsonl")), "a dry run writes nothing");

  // Ids depend on the config only: the same grid lists the same ids.
  const again = listing((await run(reproduce, ["--dry-run", ...empty], NO_CHROMIUM)).stdout);
  assert.deepEqual(again.map((e) => e.id), all.map((e) => e.id));
  const longer = listing((await run(reproduce, ["--dry-run", "--epochs", "11", ...empty], NO_CHROMIUM)).stdout);
  assert.ok(longer.every((e, i) => e.id !== all[i].id), "another epoch cap gives new ids");
  const patient = listing((await run(reproduce, ["--dry-run", "--patience", "3", ...empty], NO_CHROMIUM)).stdout);
  assert.ok(patient.every((e, i) => e.id !== all[i].id), "another patience gives new ids");

  const shards = [];
  for (const s of ["0/2", "1/2"]) {
    const r = await run(reproduce, ["--dry-run", "--shard", s, ...empty], NO_CHROMIUM);
    assert.equal(r.code, 0, r.stderr);
    shards.push(listing(r.stdout));
  }
  assert.ok(shards[0].every((e) => e.index % 2 === 0) && shards[1].every((e) => e.index % 2 === 1));
  assert.deepEqual([...shards[0], ...shards[1]].sort((a, b) => a.index - b.index).map((e) => e.id), all.map((e) => e.id), "together the shards are the grid, each entry once");

  // A cluster's job array gives the shard: a Slurm array (--array=10-12) and a Kubernetes Indexed Job.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SLURM_") && k !== "JOB_COMPLETION_INDEX" && k !== "REPRODUCE_SHARDS"));
  const inCluster = async (env, extra = []) => run(reproduce, ["--dry-run", ...extra, ...empty], { ...clean, ...NO_CHROMIUM, ...env }, undefined, true);
  const slurm = await inCluster({ SLURM_ARRAY_TASK_ID: "11", SLURM_ARRAY_TASK_MIN: "10", SLURM_ARRAY_TASK_COUNT: "3" });
  assert.equal(slurm.code, 0, slurm.stderr);
  assert.match(slurm.stdout, /shard 1\/3 \(Slurm array task 11\): 33 of them/);
  assert.ok(listing(slurm.stdout).every((e) => e.index % 3 === 1));
  const k8s = await inCluster({ JOB_COMPLETION_INDEX: "4", REPRODUCE_SHARDS: "5" });
  assert.equal(k8s.code, 0, k8s.stderr);
  assert.match(k8s.stdout, /shard 4\/5 \(Kubernetes completion index 4\): 20 of them/);
  const noCount = await inCluster({ JOB_COMPLETION_INDEX: "4" });
  assert.equal(noCount.code, 2);
  assert.match(noCount.stderr, /^error: JOB_COMPLETION_INDEX is set \(a Kubernetes Indexed Job\) but REPRODUCE_SHARDS is not/);
  // The example job files in docs/cluster/ give each task a shard this way.
  const slurmScript = readFileSync(join(root, "docs/cluster/slurm-array.sh"), "utf8");
  const [, lo, hi] = /^#SBATCH --array=(\d+)-(\d+)$/m.exec(slurmScript);
  assert.match(slurmScript, /node dist\/cli\/reproduce\.mjs --runner node --results "results\/fast-slurm-\$\{SLURM_ARRAY_TASK_ID\}\.jsonl"/);
  const job = readFileSync(join(root, "docs/cluster/kubernetes-job.yaml"), "utf8");
  const completions = /^ {2}completions: (\d+)$/m.exec(job)[1];
  assert.equal(/name: REPRODUCE_SHARDS\n\s+value: "(\d+)"/.exec(job)[1], completions, "REPRODUCE_SHARDS is the Job's completions");
  assert.match(job, /completionMode: Indexed/);
  const lastTask = await inCluster({ SLURM_ARRAY_TASK_ID: hi, SLURM_ARRAY_TASK_MIN: lo, SLURM_ARRAY_TASK_COUNT: String(hi - lo + 1) });
  assert.match(lastTask.stdout, new RegExp(`shard ${hi - lo}/${hi - lo + 1} \\(Slurm array task ${hi}\\)`));
  const lastPod = await inCluster({ JOB_COMPLETION_INDEX: String(completions - 1), REPRODUCE_SHARDS: completions });
  assert.match(lastPod.stdout, new RegExp(`shard ${completions - 1}/${completions} \\(Kubernetes completion index`));
  const explicit = await inCluster({ SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "3", SLURM_ARRAY_TASK_MIN: "0" }, ["--shard", "0/2"]);
  assert.match(explicit.stdout, /, shard 0\/2: 50 of them/, "--shard wins over the environment");

  const subset = listing((await run(reproduce, ["--dry-run", "--parts", "3", "--digits", "8,3", "--seeds", "5", ...empty], NO_CHROMIUM)).stdout);
  assert.deepEqual(subset.map((e) => e.id.replace(/-[0-9a-f]{10}$/, "")), [
    "ae-d8-s5-fast", "ocgan-dl-d8-s5-fast", "ocgan-dl-dv-d8-s5-fast", "ocgan-d8-s5-fast", "dae-d8-s5-fast",
    "ae-d3-s5-fast", "ocgan-dl-d3-s5-fast", "ocgan-dl-dv-d3-s5-fast", "ocgan-d3-s5-fast", "dae-d3-s5-fast",
  ]);
});

test("reproduce: bad options give one line naming the flag, a usage hint and exit code 2", async () => {
  const cases = [
    [["--shard", "2/2"], /^error: --shard expects I\/N with 0 <= I < N/],
    [["--shard", "1"], /^error: --shard expects I\/N/],
    [["--digits", "1,10"], /^error: --digits expects a comma-separated list of digits 0 to 9/],
    [["--parts", "5"], /^error: --parts expects a comma-separated list of parts 1 to 4/],
    [["--variants", "ae,gan"], /^error: --variants expects a comma-separated list of ocgan, ae, ocgan-dl, ocgan-dl-dv, dae, ocgan-authors without repeats/],
    [["--patience", "-1"], /^error: --patience expects an integer >= 0/],
    [["--seeds", "1,1"], /^error: --seeds expects .* without repeats/],
    [["--preset", "huge"], /^error: --preset expects one of paper, fast, wide, tiny/],
    [["--browser-ws", "http://127.0.0.1:1/x"], /^error: --browser-ws expects a ws:\/\/ or wss:\/\/ address/],
    [["--browser-ws", "ws://127.0.0.1:1/x", "--runner", "node"], /^error: --browser-ws drives a browser, so it needs --runner chromium/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(reproduce, [...argv, "--results", join(work, "bad.jsonl"), "--runs", join(work, "bad-runs")], NO_CHROMIUM);
    assert.equal(r.code, 2, `${argv.join(" ")}: exit code ${r.code}\n${r.stderr}`);
    const lines = r.stderr.trimEnd().split("\n");
    assert.match(lines[0], pattern, argv.join(" "));
    assert.match(lines[1], /^usage: npm run reproduce -- \[options\]/);
  }
  // npm start checks --browser-ws the same way, before anything starts.
  const start = await run(join(root, "dist/cli/main.mjs"), ["--preset", "tiny", "--browser-ws", "localhost:9", "--out", join(work, "bad-out")], NO_CHROMIUM);
  assert.equal(start.code, 2, start.stderr);
  assert.match(start.stderr, /^error: --browser-ws expects a ws:\/\/ or wss:\/\/ address/);
  assert.ok(!existsSync(join(work, "bad.jsonl")) && !existsSync(join(work, "bad-runs")) && !existsSync(join(work, "bad-out")), "nothing written");
});

test("reproduce: a tiny grid of two runs, as two shards (Chromium launched, and a browser server through --browser-ws), then skipped, resumed, left to a live process", { timeout: 10 * 60_000 }, async () => {
  const { chromium } = await import("playwright-core");
  const { findChromium, CHROMIUM_FLAGS } = await import("../../scripts/chromium.mjs");
  const ids = listing((await run(reproduce, ["--dry-run", ...TINY], NO_CHROMIUM)).stdout).map((e) => e.id);
  assert.equal(ids.length, 2);
  assert.match(ids[0], /^ocgan-d0-s1-tiny-/);
  assert.match(ids[1], /^ae-d0-s1-tiny-/);

  // Shard 0: OCGAN, in a Chromium the run launches.
  const first = await run(reproduce, [...TINY, "--shard", "0/2"]);
  assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
  assert.equal(records().length, 1);

  // Shard 1: the AE, in a browser server's Chromium (on this host: the page is served on 127.0.0.1).
  const server = await chromium.launchServer({ executablePath: findChromium(), headless: true, args: CHROMIUM_FLAGS });
  let second;
  try {
    second = await run(reproduce, [...TINY, "--shard", "1/2", "--browser-ws", server.wsEndpoint()], NO_CHROMIUM);
  } finally {
    await server.close();
  }
  assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);

  const [oc, ae] = records();
  assert.deepEqual([oc.id, ae.id], ids);
  for (const r of [oc, ae]) {
    assert.equal(r.preset, "tiny");
    assert.equal(r.digit, 0);
    assert.equal(r.seed, 1);
    assert.equal(r.config.epochs, 1);
    assert.equal(r.config.digit, 0);
    assert.ok(r.auc.protocol1 >= 0 && r.auc.protocol1 <= 1 && r.auc.protocol2 >= 0 && r.auc.protocol2 <= 1, JSON.stringify(r.auc));
    assert.equal(r.perDigitMse.length, 10);
    assert.ok(r.perDigitMse.every((x) => Number.isFinite(x) && x > 0));
    assert.equal(r.protocol1.positives, r.protocol1.negatives, "Protocol 1: as many out-of-class images as in-class");
    assert.match(r.commit, /^[0-9a-f]{40}$|^unknown$/);
    assert.equal(typeof r.dirty, "boolean");
    assert.ok(r.adapter && r.adapter !== "unknown adapter", r.adapter);
    assert.ok(r.wallMs > 0 && r.trainingMs > 0 && r.wallMs >= r.trainingMs);
    assert.equal(r.selectedEpoch, 1);
    assert.equal(r.stopEpoch, 1);
    assert.equal(r.stopReason, "cap", "the tiny preset has no patience");
    assert.ok(r.validationCurve.length === 1 && r.validationCurve[0] === r.bestValidationMse, JSON.stringify(r.validationCurve));
    assert.equal(r.resumedFromEpoch, null);
    assert.ok(existsSync(join(runs, r.id, r.config.model, "result.json")), "the run folder is runs/<id>/");
    assert.ok(!existsSync(join(runs, r.id, "owner.lock")), "the run folder's lock is released");
  }
  assert.equal(oc.variant, "ocgan");
  assert.equal(oc.config.classifier, true);
  assert.equal(oc.browser, "launched");
  assert.match(oc.command, /^npm start -- --preset tiny --model ocgan --digit 0 --seed 1 --epochs 1 --patience 0 --no-baseline --out /);
  assert.equal(ae.variant, "ae");
  assert.equal(ae.config.sigma, 0);
  assert.equal(ae.browser, "remote (--browser-ws)");

  assert.ok(!existsSync(join(work, "results", "owner.lock")), "the results folder's lock is released");
  const readme = readFileSync(join(work, "results", "README.md"), "utf8");
  assert.match(readme, /## Preset `tiny`/);
  assert.match(readme, /Complete: all 2 runs of the grid\./, "measured against the grid asked for (plan.json), not the whole one");
  const plan = JSON.parse(readFileSync(join(work, "results", "plan.json"), "utf8"));
  assert.deepEqual(plan.runs.map((r) => [r.id, r.parts]), ids.map((id) => [id, [1]]), "both shards planned the same two runs, once each");
  assert.match(readme, /\*\*NOT CONVERGED\*\*: 2 of 2 runs were not stopped by a patience \(reached the cap of 1 epochs\)/);
  assert.ok(readme.includes(`| 0 | 0.998 | ${oc.auc.protocol1.toFixed(3)} | 1 |`), "digit 0: the paper's .998 beside our OCGAN");

  // Again: both are done, nothing starts (no Chromium could be found).
  const rerun = await run(reproduce, TINY, NO_CHROMIUM);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout, /2 already in .*: skipped/);
  assert.match(rerun.stdout, /this session: 0 finished, 2 already done/);
  assert.equal(records().length, 2);
  const done = listing((await run(reproduce, ["--dry-run", ...TINY], NO_CHROMIUM)).stdout);
  assert.ok(done.every((e) => e.status.startsWith("done (P1 AUC ")), JSON.stringify(done));

  // A run recorded in another results file beside this one (merged from another machine) is done too.
  const [ocLine, aeLine] = readFileSync(results, "utf8").trimEnd().split("\n");
  const otherMachine = join(dirname(results), "tiny-other-machine.jsonl");
  writeFileSync(results, `${ocLine}\n`);
  writeFileSync(otherMachine, `${aeLine}\n`);
  const merged = listing((await run(reproduce, ["--dry-run", ...TINY], NO_CHROMIUM)).stdout);
  assert.ok(merged.every((e) => e.status.startsWith("done (P1 AUC ")), JSON.stringify(merged));
  writeFileSync(results, `${ocLine}\n${aeLine}\n`);
  const both = await run(renderer, [dirname(results)]);
  assert.match(both.stderr, /tiny\.jsonl:2: run ae-d0-s1-tiny-\S+ recorded again, the first record kept/, "the renderer counts a run once");
  rmSync(otherMachine);

  // Two epochs: new ids. The AE's folder gets the one-epoch checkpoint (same
  // settings but the epoch count), so it resumes from epoch 1; the OCGAN's
  // folder is locked by a live process (this one, with the grid's own lock), so it is left alone.
  const TWO = tiny(2);
  const [oc2, ae2] = listing((await run(reproduce, ["--dry-run", ...TWO], NO_CHROMIUM)).stdout).map((e) => e.id);
  mkdirSync(join(runs, ae2, "ae"), { recursive: true });
  copyFileSync(join(runs, ae.id, "ae", "last.safetensors"), join(runs, ae2, "ae", "last.safetensors"));
  mkdirSync(join(runs, oc2), { recursive: true });
  const held = await lockFolder(join(runs, oc2), { command: "a test" });
  const pending = listing((await run(reproduce, ["--dry-run", ...TWO], NO_CHROMIUM)).stdout);
  assert.equal(pending[0].status, `running (pid ${process.pid})`);
  assert.equal(pending[1].status, "to resume (epoch 1/2 checkpointed)");
  const resumed = await run(reproduce, TWO);
  await held.release();
  assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}`);
  assert.match(resumed.stdout, new RegExp(`${oc2}: pid ${process.pid} \\(a test\\) on this machine since \\S+ is working in .*; left to it`));
  assert.match(resumed.stdout, /resuming: 1\/2 epochs done/);
  assert.match(resumed.stderr, /\[ae\] resuming from /);
  const last = records().at(-1);
  assert.equal(records().length, 3);
  assert.equal(last.id, ae2);
  assert.equal(last.resumedFromEpoch, 1);
  assert.equal(last.config.epochs, 2);
  const log = readFileSync(join(runs, ae2, "ae", "losses.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.ok(log.length > 0 && log.every((e) => e.epoch === 2), "only epoch 2 was trained here");
});

/** A synthetic run record, as reproduce writes them (only what the renderer reads). */
function fake(variant, digit, seed, p1, p2 = p1 - 0.01) {
  const model = variant.startsWith("ocgan") ? "ocgan" : variant;
  const config = {
    preset: "fast", model, digit, base: 8, visualBase: 8, latent: 16, batch: 32, epochs: 300, patience: 10, lr: 0.001, beta1: 0.5, beta2: 0.999,
    lambda: variant === "ocgan-authors" ? 250 : 10, latentWeight: variant === "ocgan-authors" ? 10 : 1, sigma: model === "ae" ? 0 : 0.2, miningSteps: 5, miningLr: 1, warmupEpochs: 2,
    latentDisc: model === "ocgan", visualDisc: ["ocgan", "ocgan-dl-dv", "ocgan-authors"].includes(variant), classifier: variant === "ocgan" || variant === "ocgan-authors", seed,
  };
  return {
    id: `${variant}-d${digit}-s${seed}-fast-0123456789`, variant, parts: [1], preset: "fast", digit, seed,
    auc: { protocol1: p1, protocol2: p2 }, perDigitMse: Array.from({ length: 10 }, (_, t) => (t === digit ? 0.01 : 0.02)),
    validationCurve: Array.from({ length: 20 }, (_, e) => 0.1 + 0.001 * (e - 9) ** 2), // lowest at epoch 10
    selectedEpoch: 10, stopEpoch: 20, stopReason: "patience", selection: "validation-mse", trainingMs: 600_000, wallMs: 620_000, adapter: "test adapter",
    commit: "0".repeat(40), dirty: false, finishedAt: "2026-01-01T00:00:00Z", command: `npm start -- --digit ${digit}`, config,
  };
}

test("render-results: mean ± std over seeds beside the paper, the ablation, PARTIAL until the grid is whole", async () => {
  const dir = join(work, "render");
  mkdirSync(dir, { recursive: true });
  const lines = [];
  for (let d = 0; d < 10; d++) {
    // OCGAN: 0.90, 0.92, 0.94 over seeds (mean 0.92, std 0.02) on every digit.
    for (const [k, seed] of [1, 2, 3].entries()) lines.push(fake("ocgan", d, seed, 0.9 + 0.02 * k));
    // The AE: 0.78, 0.80, 0.82 (mean 0.80, std 0.02).
    for (const [k, seed] of [1, 2, 3].entries()) lines.push(fake("ae", d, seed, 0.78 + 0.02 * k));
    lines.push(fake("ocgan-dl", d, 1, 0.85), fake("ocgan-dl-dv", d, 1, 0.87), fake("dae", d, 1, 0.81), fake("ocgan-authors", d, 1, 0.93));
  }
  const file = join(dir, "fast.jsonl");
  writeFileSync(file, lines.slice(1).map((r) => JSON.stringify(r)).join("\n") + "\n");
  appendFileSync(file, '{"id":"cut-short","auc":{"proto'); // a run killed mid-append

  let r = await run(renderer, [dir]);
  assert.equal(r.code, 0, r.stderr);
  let md = readFileSync(join(dir, "README.md"), "utf8");
  assert.match(md, /## Preset `fast`/);
  assert.match(md, /\*\*PARTIAL\*\*: 99 of the grid's 100 runs/, "digit 0 lacks one OCGAN seed");
  assert.match(r.stderr, /fast\.jsonl:100: not JSON .*skipped/);
  assert.ok(md.includes("| 0 | 0.998 | 0.930 ± 0.014 | 2 | −0.068 | 0.800 ± 0.020 |"), "digit 0: two seeds");

  writeFileSync(file, lines.map((r) => JSON.stringify(r)).join("\n") + "\n");
  r = await run(renderer, [dir]);
  assert.equal(r.code, 0, r.stderr);
  md = readFileSync(join(dir, "README.md"), "utf8");
  assert.doesNotMatch(md, /PARTIAL/);
  assert.match(md, /Complete: all 100 runs of the grid\./);
  assert.ok(md.includes("| 8 | 0.939 | 0.920 ± 0.020 | 3 | −0.019 | 0.800 ± 0.020 | 0.910 ± 0.020 | 0.790 ± 0.020 |"), "digit 8 row");
  assert.match(md, /Every run stopped by its patience \(10 epochs without a lower in-class validation MSE\), so every selected epoch lies before its stop: stops from epoch 20 to 20/);
  assert.ok(md.includes("](validation-fast.svg)"), "the README shows the validation curves");
  const curves = readFileSync(join(dir, "validation-fast.svg"), "utf8");
  assert.equal(curves.match(/<polyline /g).length, 60, "one curve per OCGAN and AE run");
  assert.equal(curves.match(/<circle /g).length, 1 + 60, "a dot at each selected epoch, and the legend's");
  assert.ok(md.includes("| 8 | ocgan | 2 | 0.9200 | 0.9100 | 10 of 20 |"), "the runs table: selected of trained epochs");
  assert.ok(md.includes("| **mean** | 0.975 | **0.920 ± 0.020** |  | −0.055 |"), "the mean row: ± over seeds of the ten-digit mean");
  assert.ok(md.includes("| AE | 0.957 | 0.800 | all 10 |"));
  assert.ok(md.includes("| + latent discriminator (Dl) | 0.959 | 0.850 | all 10 |"));
  assert.ok(md.includes("| + visual discriminator (Dv) | 0.971 | 0.870 | all 10 |"));
  assert.ok(md.includes("| + classifier and mining (Cl) = OCGAN | 0.975 | 0.920 | all 10 | 0.910 | 0.900 |"), "OCGAN: all seeds, then the ablation's seed");
  assert.ok(md.includes("| model | paper | ours | over digits | ours, P2 | ours, all digits, seed 1 |"));
  assert.ok(md.includes("| DAE (not in the paper's ablation) | — | 0.810 | all 10 |"));
  assert.ok(md.includes("| OCGAN with the authors' code's loss weights (250 x MSE, 10 x latent term) | — | 0.930 | all 10 |"));
  assert.match(md, /lambda 10, latentWeight 1, .*\(the authors'-weights variant: lambda 250, latentWeight 10\)/, "one section holds both loss weightings");
  assert.ok(md.includes("| 3 | **0.0100** | 0.0200 |") || md.includes("| 3 | 0.0200 | 0.0200 | 0.0200 | **0.0100** |"), "reconstruction-error table, in-class in bold");
  assert.ok(md.includes("`test adapter`"));
  // The chart beside the README: a bar per digit and series, a dot per seed.
  assert.ok(md.includes("](auc-fast.svg)"), "the README shows the chart");
  const svg = readFileSync(join(dir, "auc-fast.svg"), "utf8");
  assert.ok(svg.startsWith("<svg") && svg.includes("<title>ours OCGAN, digit 8: 0.920</title>") && svg.includes("<title>paper OCGAN, digit 2: 0.942</title>"), "chart bars");
  assert.equal(svg.match(/<circle /g).length, 1 + 60, "one dot per OCGAN and AE seed, and the legend's");
  // Paper numbers beside ours, every digit.
  for (const [d, p] of [0.998, 0.999, 0.942, 0.963, 0.975, 0.98, 0.991, 0.981, 0.939, 0.981].entries()) {
    assert.ok(md.includes(`| ${d} | ${p.toFixed(3)} | 0.920 ± 0.020 | 3 |`), `digit ${d}`);
  }

  // Part 3 on the hard digits only: the ablation also compares every variant
  // on those digits and the ablation's seed, not means over different digits.
  const hardOnly = lines.filter((l) => l.variant === "ocgan" || l.variant === "ae" || [2, 3, 8].includes(l.digit));
  writeFileSync(file, hardOnly.map((r) => JSON.stringify(r)).join("\n") + "\n");
  r = await run(renderer, [dir]);
  assert.equal(r.code, 0, r.stderr);
  md = readFileSync(join(dir, "README.md"), "utf8");
  assert.match(md, /part 3, ablation and DAE: 9\/30/);
  assert.ok(md.includes("| model | paper | ours | over digits | ours, P2 | ours, digits 2, 3, 8, seed 1 |"), "the like-for-like column");
  assert.ok(md.includes("| + latent discriminator (Dl) | 0.959 | 0.850 | 2, 3, 8 | 0.840 | 0.850 |"));
  assert.ok(md.includes("| + classifier and mining (Cl) = OCGAN | 0.975 | 0.920 | all 10 | 0.910 | 0.900 |"), "OCGAN: all seeds, then seed 1 on 2, 3, 8");

  // A run that reached its cap (still improving) is flagged, and so is one trained a fixed length.
  const capped = { ...fake("ocgan", 8, 1, 0.9), selectedEpoch: 300, stopEpoch: 300, stopReason: "cap" };
  writeFileSync(file, [capped, fake("ae", 8, 1, 0.8)].map((r) => JSON.stringify(r)).join("\n") + "\n");
  r = await run(renderer, [dir]);
  assert.equal(r.code, 0, r.stderr);
  md = readFileSync(join(dir, "README.md"), "utf8");
  assert.match(md, /\*\*NOT CONVERGED\*\*: 1 of 2 runs were not stopped by a patience \(reached the cap of 300 epochs\); 1 of them selected their last epoch/);
  assert.ok(md.includes("| 300 of 300 (cap) |"));

  // A smaller grid (digit 8, three seeds) is measured against its plan, not the whole grid.
  const studyDir = join(work, "render-study");
  const study = [1, 2, 3].flatMap((seed) => [fake("ocgan", 8, seed, 0.9), fake("ae", 8, seed, 0.8)]);
  addToPlan(studyDir, study.map((r) => ({ ...r, parts: [r.seed === 1 ? 1 : 2] })));
  addToPlan(studyDir, study.slice(0, 2).map((r) => ({ ...r, parts: [3] })));
  writeFileSync(join(studyDir, "fast.jsonl"), study.slice(0, 4).map((r) => JSON.stringify(r)).join("\n") + "\n");
  r = await run(renderer, [studyDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(join(studyDir, "README.md"), "utf8"), /\*\*PARTIAL\*\*: 4 of the grid's 6 runs have finished \(part 1, OCGAN and AE: 2\/2; part 2, both with two more seeds: 2\/4\)\./);
  assert.deepEqual(JSON.parse(readFileSync(join(studyDir, "plan.json"), "utf8")).runs[0].parts, [1, 3], "planned twice: one entry, both parts");

  // No records: the table says so rather than showing numbers.
  const emptyDir = join(work, "render-empty");
  mkdirSync(emptyDir);
  writeFileSync(join(emptyDir, "fast.jsonl"), "");
  r = await run(renderer, [emptyDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(join(emptyDir, "README.md"), "utf8"), /\*\*PARTIAL\*\*: no run has finished yet/);
});
