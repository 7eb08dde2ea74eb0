// A run folder has one owner, and nothing stops a run in a way that loses
// work (npm start, dist/cli/main.mjs, from outside; the smallest run the CLI
// allows: the tiny preset's AE, 2 epochs):
//  - two commands on one folder: the second exits 2 before its browser starts,
//    naming the folder and the first's pid; the first ends as if alone;
//  - a lock left by a killed process, or one not refreshed by another machine,
//    is taken over; a fresh one from another machine is respected;
//  - a disk that fills during a checkpoint save, a filesystem made read-only
//    mid-run: one message naming the file, the cause, the intact checkpoint
//    (epoch 1) and that the same command resumes; exit 1; no temporary file,
//    no report; a folder removed under a run is named as such by the writer;
//  - SIGTERM, Ctrl-C twice, Chromium's GPU process killed: which checkpoint is
//    intact and that the same command resumes; no temporary file, no browser
//    left behind.
// After each, the same command resumes, and the run ends bit-identical to one
// never interrupted (checkpoints, loss log, figures, result.json but for its
// training time). The small disk is a tmpfs mounted here where the test may
// mount one (root); elsewhere faults are injected at the writer
// (test/system/faults.mjs) and the test says so.
// Run by `npm test` (test/run.mjs) with node:test; alone: node --test test/system/run-folder.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root, startCli, descendants, alive, sleep, progressOf, waitFor } from "./helpers.mjs";
import { writeAtomic, appendLine } from "../../scripts/files.mjs";

const work = mkdtempSync(join(tmpdir(), "run-folder-test-"));
const ARGS = ["--preset", "tiny", "--model", "ae", "--epochs", "2"];
const NO_CHROMIUM = { CHROMIUM_PATH: join(work, "no-chromium-here") };
const mounts = [];
after(() => {
  for (const m of mounts) spawnSync("umount", ["-l", m]);
  rmSync(work, { recursive: true, force: true });
});

before(() => {
  const r = spawnSync(process.execPath, ["build.mjs"], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, `node build.mjs failed:\n${r.stderr}`);
});

const run = (out, options = {}) => startCli([...ARGS, "--out", out], { cwd: work, ...options });
const checkpoint = (out) => join(out, "ae", "last.safetensors");

/** Every file of a folder, recursively, relative to it. */
function listing(dir, prefix = "") {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listing(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort();
}

let reference = null;

/** The run in `out` ended as the uninterrupted one did: the same files, byte for byte (result.json but for its training time). */
function assertSameAsReference(out) {
  assert.deepEqual(listing(out), listing(reference), "the same files, no temporary file or lock left");
  for (const file of listing(reference)) {
    const [a, b] = [readFileSync(join(out, file)), readFileSync(join(reference, file))];
    if (file.endsWith("result.json") || file === "index.html") {
      const strip = (bytes) => bytes.toString("utf8").replace(/"trainingMs": [\d.]+/, "").replace(/training took \d+ s/g, "");
      assert.equal(strip(a), strip(b), `${file} differs`);
    } else {
      assert.ok(a.equals(b), `${file} differs from the uninterrupted run's`);
    }
  }
}

/** The same command again: resumes from the epoch-1 checkpoint and ends as the uninterrupted run did. */
async function assertResumes(out, epochsDone) {
  const again = await run(out).done;
  assert.equal(again.code, 0, `the resumed run failed:\n${again.stderr()}`);
  assert.ok(again.stderr().includes(`resumed from epoch ${epochsDone}`), `resumes from epoch ${epochsDone}:\n${again.stderr()}`);
  assertSameAsReference(out);
}

/** After a stop: the message names the intact checkpoint (its real epoch) and says the same command resumes. */
function assertSaysWhatIsIntact(stderr, out, fix = "") {
  const epoch = progressOf(checkpoint(out)).epoch;
  assert.ok(epoch >= 1 && epoch < 2, `stopped mid-run: the checkpoint is of epoch ${epoch}`);
  assert.ok(stderr.includes(`[ae] the last checkpoint, ${checkpoint(out)} (epoch ${epoch} of 2), is intact\n`), `names the checkpoint and its epoch:\n${stderr}`);
  assert.ok(stderr.includes(`${fix ? `once ${fix}, run` : "run"} the same command again to resume from there`), `says how to go on:\n${stderr}`);
  assert.ok(!existsSync(join(out, "index.html")), "no report");
  assert.deepEqual(listing(out).filter((f) => f.endsWith(".tmp")), [], "no temporary file left");
  return epoch;
}

/** Starts a run in `out` and, once its epoch-1 checkpoint is written, calls `interrupt(run)`. */
async function interruptedRun(out, interrupt, options) {
  const r = run(out, options);
  await waitFor(checkpoint(out), r);
  const processes = descendants(r.child.pid);
  await interrupt(r);
  const result = await r.done;
  for (let t = 0; t < 100 && processes.some(alive); t++) await sleep(100);
  assert.deepEqual(processes.filter(alive), [], "the browser went with the run");
  return result;
}

/**
 * A filesystem of `bytes` for a run folder: a tmpfs where this process may
 * mount one, otherwise a folder whose writes test/system/faults.mjs limits
 * (the reason is printed). readOnly() and writable() switch it;
 * options() are startCli's for a run on it while the fault holds.
 */
function smallDisk(name, bytes) {
  const dir = join(work, name);
  mkdirSync(dir);
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${Math.ceil(bytes / 4096) * 4}k`, "tmpfs", dir], { encoding: "utf8" });
  if (mounted.status === 0) {
    mounts.push(dir);
    const remount = (how) => {
      // EBUSY while a file is open for writing: the run opens and closes its files at once, so try again.
      for (let t = 0; ; t++) {
        if (spawnSync("mount", ["-o", `remount,${how}`, dir]).status === 0) return;
        if (t === 50) throw new Error(`mount -o remount,${how} ${dir} failed`);
        execFileSync("sleep", ["0.05"]);
      }
    };
    return { dir, options: () => ({}), readOnly: () => remount("ro"), writable: () => remount("rw,size=64m") };
  }
  console.log(`${name}: cannot mount a tmpfs here (${(mounted.stderr || mounted.error?.message || "").trim()}): faults are injected at the writer instead (test/system/faults.mjs)`);
  const marker = join(work, `${name}.read-only`);
  let limited = true;
  return {
    dir,
    options: () => (limited ? { execArgv: ["--import", join(root, "test/system/faults.mjs")], env: { FAULT_FOLDER: dir, FAULT_QUOTA: String(bytes), FAULT_READONLY: marker } } : {}),
    readOnly: () => writeFileSync(marker, ""),
    writable: () => {
      rmSync(marker, { force: true });
      limited = false;
    },
  };
}

test("run folder: a second command on a folder in use exits 2 before its browser starts, naming the folder and the process; the first ends as if alone", { timeout: 5 * 60_000 }, async () => {
  const out = join(work, "reference");
  const first = run(out);
  await waitFor(join(out, "owner.lock", "owner.json"), first);
  const second = await run(out, { env: NO_CHROMIUM }).done;
  assert.equal(second.code, 2, `exit code 2:\n${second.stderr()}`);
  assert.equal(second.stdout(), "");
  assert.match(second.stderr(), new RegExp(`^error: --out ${out} is in use by pid ${first.child.pid} \\(npm start\\) on this machine since \\S+; one run writes in a folder at a time`));
  assert.doesNotMatch(second.stderr(), /Chromium|CHROMIUM_PATH/, "it stopped before looking for a browser");
  const done = await first.done;
  assert.equal(done.code, 0, done.stderr());
  const log = readFileSync(join(out, "ae", "losses.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(log.length, 2 * log.filter((e) => e.epoch === 1).length, "every iteration logged once, by one process");
  assert.ok(!existsSync(join(out, "owner.lock")), "the lock is released");
  reference = out;
});

test("run folder: a lock left by a killed process, or not refreshed by another machine, is taken over, and the run resumes bit-identical", { timeout: 5 * 60_000 }, async () => {
  assert.ok(reference, "needs the first test's run");
  const out = join(work, "killed");
  const killed = await interruptedRun(out, (r) => r.child.kill("SIGKILL"));
  assert.equal(killed.signal, "SIGKILL");
  assert.ok(existsSync(join(out, "owner.lock", "owner.json")), "the killed process left its lock");
  const again = await run(out).done;
  assert.equal(again.code, 0, again.stderr());
  assert.match(again.stderr(), new RegExp(`taking over ${out}: pid \\d+ \\(npm start\\) on this machine since \\S+ left its lock, and that process is no longer running`));
  assertSameAsReference(out);

  // Another machine's lock: respected while refreshed, taken over once not refreshed for 30 s.
  const remote = join(work, "remote");
  mkdirSync(join(remote, "owner.lock"), { recursive: true });
  writeFileSync(join(remote, "owner.lock", "owner.json"), JSON.stringify({ pid: 4242, host: "elsewhere", command: "npm start", started: "2026-01-01T00:00:00.000Z" }));
  const held = await run(remote, { env: NO_CHROMIUM }).done;
  assert.equal(held.code, 2, held.stderr());
  assert.match(held.stderr(), /is in use by pid 4242 \(npm start\) on host elsewhere since 2026-01-01T00:00:00\.000Z/);
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(remote, "owner.lock"), old, old);
  const taken = await run(remote, { env: NO_CHROMIUM }).done;
  assert.equal(taken.code, 1, `past the lock, it fails only for want of a browser:\n${taken.stderr()}`);
  assert.match(taken.stderr(), /taking over .*remote: pid 4242 \(npm start\) on host elsewhere since \S+ left its lock, and it has not been refreshed for 6\d s/);
  assert.match(taken.stderr(), /CHROMIUM_PATH=.* does not exist\n\[ae\] no checkpoint yet\nrun the same command again to start the run over\n$/);
  assert.ok(!existsSync(join(remote, "owner.lock")), "its own lock is released when it exits");
});

test("run folder: a disk that fills during a checkpoint save fails naming the file and the cause, leaves epoch 1's checkpoint whole and no temporary file; once space is freed it resumes bit-identical", { timeout: 5 * 60_000 }, async () => {
  assert.ok(reference, "needs the first test's run");
  // Room for epoch 1's two checkpoints and the loss log, not for a third checkpoint beside them.
  const size = (f) => statSync(join(reference, "ae", f)).size;
  const disk = smallDisk("full-disk", 2 * size("last.safetensors") + size("losses.jsonl") + 64 * 1024);
  const out = join(disk.dir, "run");
  const r = run(out, disk.options());
  const failed = await r.done;
  assert.equal(failed.code, 1, failed.stderr());
  assert.match(failed.stderr(), new RegExp(`\nerror: cannot write ${out}/ae/last\\.safetensors: no space left on the disk \\(ENOSPC\\)\n`));
  assert.equal(assertSaysWhatIsIntact(failed.stderr(), out, "some space is freed"), 1);
  assert.deepEqual(listing(out), ["ae/best.safetensors", "ae/last.safetensors", "ae/losses.jsonl"], "nothing else: no temporary file, no lock, no report");
  disk.writable();
  await assertResumes(out, 1);
});

test("run folder: a filesystem made read-only mid-run fails naming the file and the cause, and resumes bit-identical once writable", { timeout: 5 * 60_000 }, async () => {
  assert.ok(reference, "needs the first test's run");
  const disk = smallDisk("read-only", 64 * 1024 * 1024);
  const out = join(disk.dir, "run");
  const failed = await interruptedRun(out, () => disk.readOnly(), disk.options());
  assert.equal(failed.code, 1, failed.stderr());
  assert.match(failed.stderr(), new RegExp(`\nerror: cannot write ${out}/ae/(losses\\.jsonl|best\\.safetensors|last\\.safetensors): the filesystem is read-only \\(EROFS\\)\n`));
  const epoch = assertSaysWhatIsIntact(failed.stderr(), out, "the filesystem is writable again");
  disk.writable();
  await assertResumes(out, epoch);
});

test("run folder: a folder removed under a run: the writer names the file and the cause, and leaves nothing behind", () => {
  const dir = join(work, "removed", "ae");
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, "last.safetensors"), "old");
  rmSync(join(work, "removed"), { recursive: true });
  assert.throws(() => writeAtomic(join(dir, "last.safetensors"), "new"), { name: "WriteError", code: "ENOENT", message: `cannot write ${dir}/last.safetensors: its folder no longer exists (ENOENT)` });
  assert.throws(() => appendLine(join(dir, "losses.jsonl"), "{}"), { name: "WriteError", message: `cannot write ${dir}/losses.jsonl: its folder no longer exists (ENOENT)` });
  assert.ok(!existsSync(dir), "the writer does not recreate the folder");
});

test("run folder: SIGTERM mid-run says which checkpoint is intact, exits 143, and the same command resumes bit-identical", { timeout: 5 * 60_000 }, async () => {
  assert.ok(reference, "needs the first test's run");
  const out = join(work, "sigterm");
  const stopped = await interruptedRun(out, (r) => r.child.kill("SIGTERM"));
  assert.equal(stopped.code, 143, stopped.stderr());
  assert.match(stopped.stderr(), /\nSIGTERM: stopping\n/);
  assert.ok(!existsSync(join(out, "owner.lock")), "the lock is released");
  await assertResumes(out, assertSaysWhatIsIntact(stopped.stderr(), out));
});

test("run folder: Ctrl-C twice exits at once (130) with the checkpoint whole, and the same command resumes bit-identical", { timeout: 5 * 60_000 }, async () => {
  assert.ok(reference, "needs the first test's run");
  const out = join(work, "sigint");
  const stopped = await interruptedRun(out, async (r) => {
    r.child.kill("SIGINT");
    // The second as soon as the first is handled: a fixed delay raced the run's own exit on a loaded machine,
    // and two signals sent back to back can merge into one.
    for (let t = 0; t < 5000 && !r.stderr().includes("SIGINT: stopping"); t++) await sleep(1);
    r.child.kill("SIGINT");
  });
  assert.equal(stopped.code, 130, stopped.stderr());
  assert.match(stopped.stderr(), /\nSIGINT: stopping \(Ctrl-C again exits at once\)\n[^]*\nSIGINT again: exiting now\n/);
  await assertResumes(out, assertSaysWhatIsIntact(stopped.stderr(), out));
});

test("run folder: Chromium's GPU process killed mid-run ends the run naming the intact checkpoint, and the same command resumes bit-identical", { timeout: 5 * 60_000 }, async () => {
  assert.ok(reference, "needs the first test's run");
  const out = join(work, "gpu-process");
  const stopped = await interruptedRun(out, (r) => {
    const gpu = descendants(r.child.pid).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--type=gpu-process"));
    assert.equal(gpu.length, 1, "one GPU process");
    process.kill(gpu[0], "SIGKILL");
  });
  assert.equal(stopped.code, 1, stopped.stderr());
  assert.match(stopped.stderr(), /\nerror: .*(GPU|device).*lost/i);
  await assertResumes(out, assertSaysWhatIsIntact(stopped.stderr(), out));
});
