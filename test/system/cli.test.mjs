// The command line (`npm start`, dist/cli/main.mjs) as a user meets it:
//  - bad input (flags, values, --out, --resume, a batch larger than the data)
//    gives a one-line error naming the flag and what is accepted, a usage
//    hint, exit code 2, and writes nothing: every check runs before the
//    browser starts (CHROMIUM_PATH points nowhere here, so a launch would
//    fail with another message and exit code 1);
//  - a run killed with SIGKILL mid-training leaves no browser behind and
//    resumes from its last checkpoint when the same command is run again
//    (taking over the lock the killed process left),
//    finishing with every epoch logged once and a result.json; resumed from
//    another folder, it brings that run's best checkpoint and loss log along.
// Run by `npm test` (test/run.mjs) with node:test; alone: node --test test/system/
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync, rmSync, appendFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";

import { root, cli, startCli as start, descendants, alive, sleep, safetensorsHeader, progressOf } from "./helpers.mjs";

const work = mkdtempSync(join(tmpdir(), "cli-test-"));
const startCli = (args) => start(args, { cwd: work });
after(() => rmSync(work, { recursive: true, force: true }));

let built = false;
/** Builds dist/ once per run of this file, before the first test that needs it. */
function ensureBuilt() {
  if (built) return;
  const r = spawnSync(process.execPath, ["build.mjs"], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, `node build.mjs failed:\n${r.stderr}`);
  built = true;
}

/** Runs the CLI to completion in `cwd` (so a default --out would land there, not in the repository). */
function runCli(args, env = {}) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
}

/** A safetensors file: one F32 tensor per entry, metadata as given. */
function safetensors(metadata, tensors) {
  let offset = 0;
  const header = { __metadata__: metadata };
  for (const [name, values] of Object.entries(tensors)) {
    header[name] = { dtype: "F32", shape: [values.length], data_offsets: [offset, offset + 4 * values.length] };
    offset += 4 * values.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  let at = 8 + json.length;
  for (const values of Object.values(tensors)) for (const v of values) at = out.writeFloatLE(v, at);
  return out;
}


/** The checkpoint `file` with its training progress replaced, written to `to`. */
function withProgress(file, progress, to) {
  const bytes = readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = safetensorsHeader(file);
  header.__metadata__.progress = JSON.stringify(progress);
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, Buffer.concat([out, json, bytes.subarray(8 + length)]));
}

test("cli: bad input gives a one-line error naming the flag, a usage hint and exit code 2, before the browser starts, and writes nothing", () => {
  ensureBuilt();
  const file = join(work, "a-file");
  writeFileSync(file, "not a folder");
  const corrupt = join(work, "corrupt.safetensors");
  writeFileSync(corrupt, "not a checkpoint at all");
  const nan = join(work, "nan.safetensors");
  writeFileSync(nan, safetensors({ format: "webgpu-ocgan/1" }, { "En.0.weight": [0.5, NaN] }));
  const otherPreset = join(work, "fast.safetensors");
  const fastConfig = { preset: "fast", model: "ocgan", digit: 8, base: 8, visualBase: 8, latent: 16, batch: 64, epochs: 15 };
  writeFileSync(otherPreset, safetensors({
    format: "webgpu-ocgan/1", config: JSON.stringify(fastConfig), progress: JSON.stringify({ epoch: 1, bestValidationMse: 0.5, bestEpoch: 1, validationCurve: [0.5] }),
    optimizerSteps: "{}",
  }, { "En.0.weight": [0.5] }));

  const cases = [
    [["--bogus"], /^error: unknown option "--bogus"/],
    [["--digit", "10"], /^error: --digit expects an integer from 0 to 9, got "10"$/],
    [["--digit", "-1"], /^error: --digit expects an integer from 0 to 9, got "-1"$/],
    [["--digit", "eight"], /^error: --digit expects an integer from 0 to 9, got "eight"$/],
    [["--epochs", "ten"], /^error: --epochs expects a positive integer, got "ten"$/],
    [["--epochs", "-3"], /^error: --epochs expects a positive integer, got "-3"$/],
    [["--epochs", "0"], /^error: --epochs expects a positive integer, got "0"$/],
    [["--epochs", "2.5"], /^error: --epochs expects a positive integer, got "2.5"$/],
    [["--batch", "0"], /^error: --batch expects a positive integer, got "0"$/],
    [["--batch=-8"], /^error: --batch expects a positive integer, got "-8"$/],
    [["--batch", "lots"], /^error: --batch expects a positive integer, got "lots"$/],
    [["--batch", "100000"], /^error: --batch 100000 is larger than the \d+ training images of digit 8: --batch accepts 1 to \d+$/],
    [["--preset", "tiny", "--digit", "1", "--batch", "100000"], /^error: --batch 100000 is larger than the \d+ training images of digit 1/],
    [["--lr", "0"], /^error: --lr expects a positive number, got "0"$/],
    [["--preset", "huge"], /^error: --preset expects one of paper, fast, wide, tiny, got "huge"$/],
    [["--epochs"], /^error: --epochs needs a value: a positive integer$/],
    [["8"], /^error: unexpected argument "8"/],
    [["--out", join(file, "run")], /^error: --out .*a-file\/run cannot be written: .*a-file is a file, so no folder can be made under it/],
    [["--out", file], /^error: --out .*a-file cannot be written: it is a file, not a folder/],
    [["--resume", join(work, "missing.safetensors")], /^error: --resume .*missing\.safetensors: no such file$/],
    [["--resume", work], /^error: --resume .*: it is a folder, not a checkpoint$/],
    [["--resume", corrupt], /^error: --resume .*corrupt\.safetensors: header length \d+ goes beyond the file/],
    [["--resume", nan], /^error: --resume .*nan\.safetensors: tensor "En\.0\.weight": value 1 is NaN/],
    [["--preset", "tiny", "--resume", otherPreset], /^error: --resume .*fast\.safetensors: .*was written with other settings \(.*base 8 there, 4 here/],
  ];
  let k = 0;
  for (const [argv, pattern] of cases) {
    const out = join(work, `out-${k++}`);
    const args = argv.includes("--out") ? argv : [...argv, "--out", out];
    const r = runCli(args, { CHROMIUM_PATH: join(work, "no-chromium-here") });
    const what = args.join(" ");
    assert.equal(r.status, 2, `${what}: exit code ${r.status}, stderr:\n${r.stderr}`);
    assert.equal(r.stdout, "", `${what}: nothing on stdout`);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 2, `${what}: two lines, the error and the usage hint:\n${r.stderr}`);
    assert.match(lines[0], pattern, what);
    assert.match(lines[1], /^usage: npm start -- \[options\] \(see npm start -- --help\)$/, `${what}: usage hint`);
    assert.ok(!existsSync(out), `${what}: ${out} was created`);
  }
  assert.deepEqual(readdirSync(work).sort(), ["a-file", "corrupt.safetensors", "fast.safetensors", "nan.safetensors"], "nothing else written (no default runs/ folder)");
});

test("cli: --help prints every option and exits 0 without writing", () => {
  ensureBuilt();
  const r = runCli(["--help"], { CHROMIUM_PATH: join(work, "no-chromium-here") });
  assert.equal(r.status, 0, r.stderr);
  for (const flag of ["--digit", "--preset", "--epochs", "--batch", "--out", "--resume"]) assert.ok(r.stdout.includes(flag), `${flag} in --help`);
  assert.ok(!existsSync(join(work, "runs")), "no runs/ folder");
});


test("cli: a run killed with SIGKILL mid-training leaves no browser behind and resumes from its last checkpoint", { timeout: 15 * 60_000 }, async () => {
  ensureBuilt();
  const out = join(work, "killed");
  const args = ["--preset", "tiny", "--epochs", "3", "--no-baseline", "--out", out];
  const last = join(out, "ocgan", "last.safetensors");

  // 1. Start, wait for epoch 1's checkpoint, kill the Node process outright.
  const first = startCli(args);
  const deadline = Date.now() + 5 * 60_000;
  let exited = null;
  first.done.then((r) => (exited = r));
  while (!existsSync(last)) {
    assert.ok(exited === null, `the run ended before its first checkpoint (code ${exited?.code}):\n${first.stderr()}`);
    assert.ok(Date.now() < deadline, `no checkpoint after 5 minutes:\n${first.stderr()}`);
    await sleep(100);
  }
  const browser = descendants(first.child.pid);
  first.child.kill("SIGKILL");
  const killed = await first.done;
  assert.equal(killed.signal, "SIGKILL");
  const epochsDone = progressOf(last).epoch;
  assert.ok(epochsDone >= 1 && epochsDone < 3, `the kill came mid-run: the last checkpoint is of epoch ${epochsDone}`);

  // 2. The browser it launched goes with it (its pipe to Node closed).
  for (let t = 0; t < 100 && browser.some(alive); t++) await sleep(100);
  assert.deepEqual(browser.filter(alive), [], "processes of the killed run still alive after 10 s");

  // 3. The worst moment for a kill: mid-append to the loss log, and between
  //    writing last.safetensors and best.safetensors.
  appendFileSync(join(out, "ocgan", "losses.jsonl"), '{"epoch":2,"iteration":7,"classif');
  // (The kill may itself have landed between the two writes: then there is no best file to remove.)
  rmSync(join(out, "ocgan", "best.safetensors"), { force: true });

  // 4. The same command again: resumes, finishes every epoch, writes the result.
  const second = await startCli(args).done;
  assert.equal(second.code, 0, `the resumed run failed:\n${second.stderr()}`);
  assert.match(second.stderr(), /taking over .*killed: pid \d+ \(npm start\) on this machine since \S+ left its lock, and that process is no longer running/, "the killed run's lock is stale");
  assert.ok(second.stderr().includes(`[ocgan] resuming from ${last}`), `says it resumes:\n${second.stderr()}`);
  assert.ok(second.stderr().includes(`resumed from epoch ${epochsDone}`), `says from which epoch:\n${second.stderr()}`);
  assert.match(second.stdout(), /ocgan\s+digit 8: Protocol 1 AUC 0\.\d+/);
  const result = JSON.parse(readFileSync(join(out, "ocgan", "result.json"), "utf8"));
  assert.equal(result.config.epochs, 3);
  assert.equal(progressOf(last).epoch, 3, "the last checkpoint is of epoch 3");
  assert.ok(existsSync(join(out, "ocgan", "best.safetensors")), "best.safetensors is back");
  assert.ok(existsSync(join(out, "index.html")), "the report is written");

  // Every iteration of every epoch logged exactly once, in order.
  const log = readFileSync(join(out, "ocgan", "losses.jsonl"), "utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
  const perEpoch = log.filter((e) => e.epoch === 1).length;
  assert.ok(perEpoch > 0, "epoch 1 logged");
  assert.equal(log.length, 3 * perEpoch, `${log.length} lines for 3 epochs of ${perEpoch} iterations`);
  log.forEach((e, i) => {
    assert.equal(e.epoch, Math.floor(i / perEpoch) + 1, `line ${i + 1}: epoch`);
    assert.equal(e.iteration, (i % perEpoch) + 1, `line ${i + 1}: iteration`);
  });

  // 5. The finished folder refuses a continuation it cannot honour, before any launch.
  const fewer = runCli([...args.slice(0, 2), "--epochs", "2", ...args.slice(4)], { CHROMIUM_PATH: join(work, "no-chromium-here") });
  assert.equal(fewer.status, 2, fewer.stderr);
  assert.match(fewer.stderr, /has done 3 epochs, more than --epochs 2/);
  const otherLr = runCli([...args, "--lr", "0.001"], { CHROMIUM_PATH: join(work, "no-chromium-here") });
  assert.equal(otherLr.status, 2, otherLr.stderr);
  assert.match(otherLr.stderr, /holds a checkpoint this run cannot continue from: .*other settings \(lr 0\.0002 there, 0\.001 here\)/);

  // 6. --resume from another run's folder brings its best checkpoint and loss
  //    log along (model selection and the curves need them), refuses when the
  //    best checkpoint it needs is not beside it, and never overwrites a run.
  const moved = join(work, "moved", "ocgan");
  mkdirSync(moved, { recursive: true });
  for (const f of ["last.safetensors", "best.safetensors", "losses.jsonl"]) copyFileSync(join(out, "ocgan", f), join(moved, f));
  const { bestValidationMse } = progressOf(last);
  withProgress(last, { epoch: 3, bestValidationMse, bestEpoch: 1, validationCurve: [bestValidationMse, bestValidationMse + 0.1, bestValidationMse + 0.2] }, join(work, "lonely", "last.safetensors"));
  const refusals = [
    [[...args.slice(0, 2), "--epochs", "4", "--no-baseline", "--resume", join(work, "lonely", "last.safetensors"), "--out", join(work, "fresh-0")],
      /--resume .*lonely\/last\.safetensors: its best epoch \(1, by in-class validation MSE\) is not the one it holds \(3\), and .*lonely\/best\.safetensors, which model selection needs, is missing/],
    [[...args.slice(0, 2), "--epochs", "4", "--no-baseline", "--resume", join(moved, "last.safetensors"), "--out", out],
      /--resume .*: .*killed\/ocgan already holds a run \(last\.safetensors, best\.safetensors, losses\.jsonl\), which resuming another run's checkpoint there would overwrite/],
  ];
  for (const [argv, pattern] of refusals) {
    const r = runCli(argv, { CHROMIUM_PATH: join(work, "no-chromium-here") });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, pattern);
  }
  assert.ok(!existsSync(join(work, "fresh-0")), "a refused resume writes nothing");
  const fresh = join(work, "fresh-1");
  const adopted = await startCli([...args.slice(0, 2), "--epochs", "4", "--no-baseline", "--resume", join(moved, "last.safetensors"), "--out", fresh]).done;
  assert.equal(adopted.code, 0, `resuming from another folder failed:\n${adopted.stderr()}`);
  assert.equal(progressOf(join(fresh, "ocgan", "last.safetensors")).epoch, 4);
  assert.ok(existsSync(join(fresh, "ocgan", "best.safetensors")), "best.safetensors in the new folder");
  const adoptedLog = readFileSync(join(fresh, "ocgan", "losses.jsonl"), "utf8").trimEnd().split("\n");
  assert.equal(adoptedLog.length, 4 * perEpoch, "the loss log holds the three epochs done elsewhere and the new one");
});
