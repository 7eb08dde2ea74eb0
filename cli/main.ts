// `npm start`: trains OCGAN (and, beside it, the plain AE baseline) on one
// digit in headless Chromium on WebGPU, shows progress in the terminal, and
// writes checkpoints, the loss log, figures and an HTML report to --out.
// This side parses arguments, owns the files and the terminal; the training
// runs in the page (cli/page.ts), or with --runner node in this process on
// Dawn's WebGPU for Node (cli/node-job.ts): the same job either way (cli/job.ts).
// The run folder has one owner (scripts/lock.mjs), every file is written whole
// or not at all (scripts/files.mjs), and a run that stops, whatever the cause,
// says which checkpoints are intact and that the same command resumes.
import { mkdirSync, readFileSync, existsSync, accessSync, statSync, constants } from "node:fs";
import { dirname, join, resolve, isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { homedir } from "node:os";
import { parseArgs, formatHelp, trainOptions, configFromArgs, UsageError, type TrainArgs } from "./args.js";
import { TRAINING_LENGTH, type OcganConfig } from "../src/ocgan/config.js";
import { parseMnist, splitDigit } from "../src/ocgan/data.js";
import { readCheckpointHeader } from "../src/ocgan/checkpoint.js";
import type { Job, JobSummary } from "./job.js";
import type { Host, ProgressEvent } from "../src/ocgan/experiment.js";
import { checkpointEpoch } from "./checkpoints.js";
import { formatDuration, usageLine, usageError } from "./terminal.js";
// @ts-expect-error plain ES modules shared with the test runner
import { serve } from "../scripts/serve.mjs";
// @ts-expect-error plain ES modules shared with the test runner
import { launchChromium } from "../scripts/chromium.mjs";
// @ts-expect-error plain ES modules shared with the test runner
import { createNodeGpu } from "../scripts/node-gpu.mjs";
// @ts-expect-error plain ES modules shared with the test runner
import { writeAtomic, appendLine, removeTemporaries, WriteError } from "../scripts/files.mjs";
// @ts-expect-error plain ES modules shared with the test runner
import { lockFolder, FolderBusyError, describeOwner } from "../scripts/lock.mjs";

const COMMAND = "npm start";

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof EXIT_CODES;

/** The signal this run is stopping on; from then on nothing more is written. */
let stopping: StopSignal | null = null;
/** Once the run folder is this process's: which checkpoints are on the disk, and how to go on from them. */
let leftOnDisk: ((fix?: string) => string) | null = null;
/** Closes the browser, while one runs. */
let closeRunner: (() => Promise<void>) | null = null;
/** The first write that failed, or the loss of the folder's lock: the cause the run stopped on. */
let writeFailure: Error | null = null;

/**
 * Ctrl-C, SIGTERM, SIGHUP: nothing more is written, the checkpoints left are
 * named, the browser is closed, and the process exits 128 + the signal's
 * number. A second signal exits at once. Writes are synchronous, so no
 * signal can land mid-file.
 */
function onSignal(signal: StopSignal): void {
  if (stopping) {
    process.stderr.write(`\n${signal} again: exiting now\n`);
    process.exit(EXIT_CODES[signal]);
  }
  stopping = signal;
  process.stderr.write(`\n${signal}: stopping${signal === "SIGINT" ? " (Ctrl-C again exits at once)" : ""}\n${leftOnDisk ? `${leftOnDisk()}\n` : ""}`);
  const closed = closeRunner ? closeRunner().catch(() => {}) : Promise.resolve();
  void Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000))]).then(() => process.exit(EXIT_CODES[signal]));
}
for (const signal of Object.keys(EXIT_CODES) as StopSignal[]) process.on(signal, () => onSignal(signal));

/** What to do about a write that failed, by its code, for "once ..., run the same command again". */
const FIXES: Record<string, string> = {
  ENOSPC: "some space is freed", EDQUOT: "some space is freed", EROFS: "the filesystem is writable again",
  EACCES: "the folder is writable again", EPERM: "the folder is writable again",
};

/**
 * Why `dir` cannot be used as the run folder, or null when it can: it must be
 * a writable folder, or not exist yet under a writable folder. Nothing is
 * created here (a bad command line must leave no trace).
 */
function unwritableFolder(dir: string): string | null {
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  let isFolder: boolean;
  try {
    isFolder = statSync(existing).isDirectory();
  } catch (error) {
    return `${existing} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (!isFolder) return existing === dir ? "it is a file, not a folder" : `${existing} is a file, so no folder can be made under it`;
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    return `${existing} is not writable`;
  }
  return null;
}

/**
 * Why the checkpoint `file` cannot continue a run of `config`, or null: it must
 * be a whole, finite checkpoint of this project (the full file is parsed here,
 * before the browser starts), written with the same settings but the epoch
 * count, and not past --epochs.
 */
function resumeProblem(file: string, config: OcganConfig): string | null {
  let bytes: Uint8Array;
  try {
    if (statSync(file).isDirectory()) return "it is a folder, not a checkpoint";
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "no such file" : `cannot be read (${code ?? (error as Error).message})`;
  }
  let header: ReturnType<typeof readCheckpointHeader>;
  try {
    header = readCheckpointHeader(bytes, file);
  } catch (error) {
    const message = (error as Error).message;
    return message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
  }
  const stored = header.config as unknown as Record<string, unknown>;
  const wanted = config as unknown as Record<string, unknown>;
  const differing = Object.keys({ ...stored, ...wanted }).filter((key) => !TRAINING_LENGTH.has(key) && JSON.stringify(stored[key]) !== JSON.stringify(wanted[key]));
  if (differing.length) {
    const list = differing.map((key) => `${key} ${JSON.stringify(stored[key])} there, ${JSON.stringify(wanted[key])} here`).join(", ");
    return `${file} was written with other settings (${list})`;
  }
  if (header.progress.epoch > config.epochs) return `${file} has done ${header.progress.epoch} epochs, more than --epochs ${config.epochs}`;
  return null;
}

/**
 * A checkpoint resumed from another run's folder brings that run's files the
 * rest of the run needs: best.safetensors (model selection loads it at the
 * end when the best epoch came before the checkpoint) and losses.jsonl (the
 * loss curves). Why that cannot work, or null: the files are missing, or the
 * folder to resume into already holds a run of its own, which they would
 * overwrite.
 */
function adoptionProblem(file: string, runFolder: string): string | null {
  const from = dirname(file);
  if (resolve(from) === resolve(runFolder)) return null;
  const own = ["last.safetensors", "best.safetensors", "losses.jsonl"].filter((f) => existsSync(join(runFolder, f)));
  if (own.length) return `${runFolder} already holds a run (${own.join(", ")}), which resuming another run's checkpoint there would overwrite; give an empty --out`;
  const { progress } = readCheckpointHeader(readFileSync(file), file);
  if (progress.bestEpoch !== null && progress.bestEpoch !== progress.epoch && !existsSync(join(from, "best.safetensors"))) {
    return `its best epoch (${progress.bestEpoch}, by in-class validation MSE) is not the one it holds (${progress.epoch}), and ${join(from, "best.safetensors")}, which model selection needs, is missing`;
  }
  return null;
}

function adoptRunFiles(file: string, runFolder: string): void {
  const from = dirname(file);
  if (resolve(from) === resolve(runFolder)) return;
  for (const name of ["best.safetensors", "losses.jsonl"]) {
    if (existsSync(join(from, name))) writeAtomic(join(runFolder, name), readFileSync(join(from, name)));
  }
}

/**
 * Each model's last checkpoint as it is on the disk now (parsed whole), and
 * how to go on: the same command resumes from them, once `fix` is done.
 */
function describeCheckpoints(out: string, experiments: Job["experiments"], fix?: string): string {
  let any = false;
  const lines = experiments.map(({ name, config }) => {
    const file = join(out, name, "last.safetensors");
    const epoch = checkpointEpoch(file);
    if (epoch === null) return `[${name}] no checkpoint yet`;
    any = true;
    return `[${name}] the last checkpoint, ${file} (epoch ${epoch} of ${config.epochs}), is intact`;
  });
  const then = fix ? `once ${fix}, run` : "run";
  return [...lines, `${then} the same command again to ${any ? "resume from there" : "start the run over"}`].join("\n");
}

/** What stopped a run, for its summary line. */
function stopText(r: { stopEpoch: number; stopReason: "patience" | "cap"; config: OcganConfig }): string {
  return r.stopReason === "patience"
    ? `converged: stopped at epoch ${r.stopEpoch}, ${r.config.patience} epochs without improvement`
    : `stopped at the cap, epoch ${r.stopEpoch}${r.config.patience > 0 ? ", still improving within its patience" : ""}`;
}

function progressPrinter() {
  const tty = process.stderr.isTTY;
  let sessionStart: { name: string; done: number; ms: number } | null = null;
  return (event: ProgressEvent) => {
    if (event.kind === "stage") {
      process.stderr.write(`${tty ? "\r\x1b[K" : ""}[${event.name}] ${event.stage}\n`);
    } else if (event.kind === "epoch") {
      const waited = event.epoch + 1 - event.bestEpoch;
      const patience = event.patience > 0 && !event.improved ? `; not better for ${waited} of ${event.patience} epochs (best: epoch ${event.bestEpoch})` : "";
      const line = `[${event.name}] epoch ${event.epoch + 1}/${event.epochs} done: in-class validation MSE ${event.validationMse.toFixed(5)}${event.improved ? " (best so far)" : ""}${patience}`;
      process.stderr.write(`${tty ? "\r\x1b[K" : ""}${line}\n`);
    } else {
      const total = event.epochs * event.iterationsPerEpoch;
      const done = event.epoch * event.iterationsPerEpoch + event.iteration + 1;
      if (!sessionStart || sessionStart.name !== event.name) sessionStart = { name: event.name, done: done - 1, ms: event.elapsedMs };
      const rate = (event.elapsedMs - sessionStart.ms) / Math.max(1, done - sessionStart.done);
      const width = 20;
      const filled = Math.round((done / total) * width);
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      const l = event.losses;
      const losses = `cl ${l.classifier.toFixed(3)} dl ${l.latentDisc.toFixed(3)} dv ${l.visualDisc.toFixed(3)} mse ${l.genMse.toFixed(4)} gl ${l.genLatent.toFixed(3)} gv ${l.genVisual.toFixed(3)}`;
      // With a patience the bar and the time left are the cap's: an upper bound.
      const left = `${event.patience > 0 ? "at most " : ""}${formatDuration(rate * (total - done))} left`;
      const line = `[${event.name}] [${bar}] epoch ${event.epoch + 1}/${event.epochs} it ${event.iteration + 1}/${event.iterationsPerEpoch} ${losses} | ${(rate / 1000).toFixed(2)} s/it, ${left}`;
      if (tty) process.stderr.write(`\r\x1b[K${line.slice(0, process.stderr.columns ? process.stderr.columns - 1 : line.length)}`);
      else if (event.iteration + 1 === event.iterationsPerEpoch || done === 1) process.stderr.write(`${line}\n`);
    }
  };
}

/**
 * The file that keeps the engine's kernel choices per adapter across runs
 * (src/gpu/tuner.ts): OCGAN_KERNEL_CACHE, or webgpu-ocgan/kernel-choices.json
 * in the user's cache folder; OCGAN_KERNEL_CACHE=off times the kernels anew
 * in every run and keeps nothing.
 */
function kernelCachePath(): string | null {
  const setting = process.env.OCGAN_KERNEL_CACHE;
  if (setting === "off") return null;
  const file = setting ? resolve(setting) : join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "webgpu-ocgan", "kernel-choices.json");
  try {
    mkdirSync(dirname(file), { recursive: true });
    accessSync(dirname(file), constants.W_OK);
    return file;
  } catch (error) {
    process.stderr.write(`note: kernel choices are not kept (${dirname(file)}: ${(error as Error).message}); set OCGAN_KERNEL_CACHE to a writable file\n`);
    return null;
  }
}

/** The run folder's files, as both runners' hosts use them (paths relative to --out). */
interface RunFiles {
  write(path: string, data: Uint8Array): void;
  append(path: string, line: string): void;
  read(path: string): Uint8Array | null;
}

/**
 * --runner chromium: the job runs in a headless Chromium page (cli/page.ts),
 * which calls back for files and progress. The browser is launched here, or,
 * with --browser-ws, a Playwright browser server's (chromium.launchServer)
 * is connected to; the page is served on 127.0.0.1 either way.
 */
async function runInChromium(job: Job, site: string, files: RunFiles, progress: (event: ProgressEvent) => void, browserWs?: string, pagePort = 0): Promise<JobSummary> {
  const { server, url } = await serve(site, pagePort);
  try {
    const browser = browserWs
      ? await (await import("playwright-core")).chromium.connect(browserWs, { timeout: 60_000 })
      : await launchChromium({ handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false }); // onSignal closes it
    closeRunner = () => browser.close();
    try {
      const page = await browser.newPage();
      page.on("pageerror", (e: Error) => process.stderr.write(`page error: ${e.message}\n`));
      await page.exposeFunction("__hostWrite", (path: string, base64: string) => files.write(path, Buffer.from(base64, "base64")));
      await page.exposeFunction("__hostAppend", (path: string, line: string) => files.append(path, line));
      await page.exposeFunction("__hostRead", (path: string) => {
        const bytes = files.read(path);
        return bytes ? Buffer.from(bytes).toString("base64") : null;
      });
      await page.exposeFunction("__hostProgress", progress);
      await page.goto(url);
      await page.waitForFunction(() => typeof window.__runJob === "function");
      return await page.evaluate((j: Job) => window.__runJob(j), job);
    } finally {
      closeRunner = null;
      await browser.close();
    }
  } finally {
    server.close();
  }
}

/**
 * --runner node: the same job in this process, on Dawn's WebGPU for Node. The
 * engine is loaded with import() only once scripts/node-gpu.mjs has installed
 * the WebGPU globals it reads as it loads.
 */
async function runInNode(job: Job, dataFile: string, files: RunFiles, progress: (event: ProgressEvent) => void): Promise<JobSummary> {
  const { gpu } = await createNodeGpu();
  const { runJobInNode } = await import("./node-job.js");
  const host: Host = {
    now: () => performance.now(),
    writeFile: async (path, data) => files.write(path, typeof data === "string" ? new TextEncoder().encode(data) : data),
    appendLine: async (path, line) => files.append(path, line),
    readFile: async (path) => {
      const bytes = files.read(path);
      return bytes && new Uint8Array(bytes); // a plain copy: no Buffer pool offsets
    },
    progress,
  };
  return runJobInNode(job, gpu, dataFile, host);
}

async function main(): Promise<void> {
  let args: TrainArgs;
  try {
    args = parseArgs(trainOptions, process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) usageError(COMMAND, error.message);
    throw error;
  }
  if (args.help) {
    console.log(formatHelp(trainOptions, {
      usage: usageLine(COMMAND),
      description: "Trains OCGAN on one MNIST digit on WebGPU (headless Chromium, or Dawn for Node with --runner node) and evaluates it\nunder Protocols 1 and 2; with --model ocgan the plain auto-encoder is trained the same way beside it.",
    }));
    return;
  }
  let configs: { name: string; config: OcganConfig }[];
  try {
    configs = [{ name: args.model, config: configFromArgs(args) }];
    if (args.model === "ocgan" && !args.noBaseline) configs.push({ name: "ae", config: configFromArgs(args, "ae") });
  } catch (error) {
    usageError(COMMAND, (error as Error).message);
  }
  // Every check comes before anything is written or launched: bad input leaves no trace.
  if (args.browserWs !== undefined) {
    if (args.runner !== "chromium") usageError(COMMAND, `--browser-ws drives a browser, so it needs --runner chromium, got --runner ${args.runner}`);
    if (!/^wss?:\/\/[^/\s]+/.test(args.browserWs)) usageError(COMMAND, `--browser-ws expects a ws:// or wss:// address of a Playwright browser server, got ${JSON.stringify(args.browserWs)}`);
  }
  const out = resolve(args.out ?? `runs/${args.model}-digit${args.digit}-seed${args.seed}`);
  const unwritable = unwritableFolder(out);
  if (unwritable) usageError(COMMAND, `--out ${out} cannot be written: ${unwritable}; give a folder that exists or can be created`);

  // The page and the data, built by build.mjs next to this file.
  const site = join(dirname(fileURLToPath(import.meta.url)), "page");
  const dataFile = join(site, "data", "mnist.bin");
  if (!existsSync(dataFile)) throw new Error(`${site} is incomplete: run \`node build.mjs\` first (npm start does)`);
  const trainingImages = splitDigit(parseMnist(readFileSync(dataFile)), args.digit).train.length;
  for (const { config } of configs) {
    if (config.batch > trainingImages) {
      const given = args.batch !== undefined ? `--batch ${config.batch}` : `the ${config.preset} preset's batch size ${config.batch}`;
      usageError(COMMAND, `${given} is larger than the ${trainingImages} training images of digit ${args.digit}: --batch accepts 1 to ${trainingImages}`);
    }
  }

  // Which checkpoint each model resumes from, checked in full; run again once the folder is this process's.
  const plan = (): Job["experiments"] => configs.map(({ name, config }, k) => {
    const own = join(out, name, "last.safetensors");
    if (k === 0 && args.resume) {
      const file = resolve(args.resume);
      const problem = resumeProblem(file, config) ?? adoptionProblem(file, join(out, name));
      if (problem) usageError(COMMAND, `--resume ${args.resume}: ${problem}`);
      return { name, config, resume: file };
    }
    if (!existsSync(own)) return { name, config };
    const problem = resumeProblem(own, config);
    if (problem) usageError(COMMAND, `--out ${out} holds a checkpoint this run cannot continue from: ${problem}; use the same options as that run, or another --out`);
    return { name, config, resume: own };
  });
  plan();
  try {
    mkdirSync(out, { recursive: true });
  } catch (error) {
    usageError(COMMAND, `--out ${out} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }

  // One owner per run folder, from before its first file is written to the end.
  let lock: { takenOver: { owner: unknown; why: string } | null; release(): Promise<void> };
  try {
    lock = await lockFolder(out, {
      command: "npm start",
      parentMayHold: true, // npm run reproduce holds its run folders for the npm start it runs
      onLost: (error: Error) => void (writeFailure ??= new Error(`lost the lock on ${out} (${error.message}): another process may be writing there`)),
    });
  } catch (error) {
    if (!(error instanceof FolderBusyError)) throw error;
    process.stderr.write(`error: --out ${out} is in use by ${describeOwner((error as { owner: unknown }).owner)}; one run writes in a folder at a time: wait for it to end or stop it, or give another --out\n`);
    process.exit(2);
  }
  if (lock.takenOver) process.stderr.write(`taking over ${out}: ${describeOwner(lock.takenOver.owner)} left its lock, and ${lock.takenOver.why}\n`);
  const experiments = plan();
  for (const { name } of experiments) mkdirSync(join(out, name), { recursive: true });
  for (const folder of [out, ...experiments.map(({ name }) => join(out, name))]) removeTemporaries(folder);
  leftOnDisk = (fix) => describeCheckpoints(out, experiments, fix);

  for (const { name, resume } of experiments) {
    if (!resume) continue;
    adoptRunFiles(resume, join(out, name));
    process.stderr.write(`[${name}] resuming from ${resume}\n`);
  }
  const job: Job = { selection: "validation-mse", experiments, kernelCache: kernelCachePath() };
  const inOut = (path: string) => {
    const file = isAbsolute(path) ? path : resolve(out, path);
    if (!isAbsolute(path) && relative(out, file).startsWith("..")) throw new Error(`refusing to touch ${path}: outside the run folder`);
    return file;
  };
  /** A write, refused once the run is stopping or a write has failed; the first failure is kept as the run's cause. */
  const guarded = <A extends unknown[]>(write: (file: string, ...rest: A) => void) => (path: string, ...rest: A) => {
    if (stopping) throw new Error(`${stopping}: not writing ${path}, the run is stopping`);
    if (writeFailure) throw writeFailure;
    try {
      write(inOut(path), ...rest);
    } catch (error) {
      if (error instanceof WriteError) writeFailure = error as Error;
      throw error;
    }
  };
  const files: RunFiles = {
    write: guarded((file, data: Uint8Array) => writeAtomic(file, data)),
    append: guarded((file, line: string) => appendLine(file, line)),
    read: (path) => {
      const file = inOut(path);
      return existsSync(file) ? readFileSync(file) : null;
    },
  };
  const summary = args.runner === "node"
    ? await runInNode(job, dataFile, files, progressPrinter())
    : await runInChromium(job, site, files, progressPrinter(), args.browserWs, args.pagePort);
  await lock.release();
  process.stderr.write("\n");
  console.log(`adapter: ${summary.adapter}`);
  for (const r of summary.results) {
    const e = r.evaluation;
    console.log(`${r.name.padEnd(6)} digit ${r.config.digit}: Protocol 1 AUC ${e.protocol1.auc.toFixed(4)}, Protocol 2 AUC ${e.protocol2.auc.toFixed(4)} (epoch ${r.selectedEpoch} by in-class validation MSE; ${stopText(r)}; training ${formatDuration(r.trainingMs)})`);
  }
  console.log("\nmean reconstruction error per test digit:");
  console.log(`digit  ${summary.results.map((r) => r.name.padStart(8)).join(" ")}`);
  for (let d = 0; d < 10; d++) {
    console.log(`${String(d).padEnd(6)} ${summary.results.map((r) => r.evaluation.perDigitMse[d].toFixed(4).padStart(8)).join(" ")}${d === summary.results[0].config.digit ? "  (in-class)" : ""}`);
  }
  console.log(`\nreport: ${join(out, "index.html")}`);
}

/**
 * An error for the terminal: a page's exception arrives as "page.evaluate:
 * Name: message" followed by the page's stack, of no use to the user; the
 * message itself (several lines for a WGSL compile error) is kept.
 */
function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .replace(/^page\.evaluate: /, "")
    .split("\n")
    .filter((line) => !/^\s+at /.test(line))
    .join("\n")
    .trimEnd();
}

// An explicit exit: with --runner node, Dawn's GPU object keeps the event loop alive.
main().then(() => process.exit(0), (error) => {
  if (stopping) return; // onSignal exits once the browser is closed; this is the page going with it
  const cause = writeFailure ?? error;
  const fix = cause instanceof WriteError ? FIXES[(cause as { code?: string }).code ?? ""] : undefined;
  process.stderr.write(`\nerror: ${errorText(cause)}\n${leftOnDisk ? `${leftOnDisk(fix)}\n` : ""}`);
  process.exit(1);
});
