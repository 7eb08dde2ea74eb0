// `npm run reproduce`: the experiment grid behind results/README.md. Each run
// is one `npm start` (dist/cli/main.mjs, a child process: the same checks,
// runner, checkpoints and auto-resume) with its folder under runs/grid/<id>/;
// each finished run is appended as one JSON line to results/<preset>.jsonl
// and the tables are re-rendered (scripts/render-results.mjs).
//  - resumable: a run whose id is in the results file is never redone; a run
//    killed midway resumes from its last epoch's checkpoint (its folder is
//    the --out of the same command, so npm start's auto-resume applies);
//  - shardable: --shard i/n runs only the entries whose index % n == i;
//  - one owner per folder (scripts/lock.mjs): a run folder is locked while a
//    grid process works in it (its npm start runs under that lock), and the
//    results folder while a record is appended and the tables re-rendered;
//  - --browser-ws drives a Playwright browser server instead of launching;
//  - the runs asked for are added to plan.json beside the results file, so a
//    grid smaller than the whole one (a width study) is measured against itself.
// The id of a run is its variant, digit, seed and preset, and a hash of its
// full config: change any setting and it is a new run.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, mkdirSync } from "node:fs";
import { dirname, join, resolve, relative, isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { defineOptions, parseArgs, formatHelp, UsageError, type ParsedArgs } from "./args.js";
import { makeConfig, presets, type OcganConfig, type ModelKind } from "../src/ocgan/config.js";
// @ts-expect-error plain ES module, shared with `node scripts/render-results.mjs`
import { renderFolder, addToPlan } from "../scripts/render-results.mjs";
// @ts-expect-error plain ES module, shared with npm start and the tests
import { appendLine } from "../scripts/files.mjs";
// @ts-expect-error plain ES module, shared with npm start and the tests
import { lockFolder, lockHolder, FolderBusyError, describeOwner } from "../scripts/lock.mjs";
import { checkpointEpoch } from "./checkpoints.js";
import { formatDuration, usageLine, usageError } from "./terminal.js";

const COMMAND = "npm run reproduce";

export const reproduceOptions = defineOptions([
  { name: "preset", type: "string", choices: Object.keys(presets), default: "fast", help: "network widths and schedule of every run" },
  { name: "parts", type: "string", default: "1,2,3,4", metavar: "LIST", help: "grid parts, in priority order: 1 OCGAN and AE, 2 both with the further seeds, 3 the ablation (+Dl, +Dv) and DAE, 4 OCGAN with the authors' code's loss weights" },
  { name: "variants", type: "string", metavar: "LIST", defaultText: "all", help: "only these models of the parts chosen (ocgan, ae, ocgan-dl, ocgan-dl-dv, dae, ocgan-authors), e.g. ae to run the cheap baselines first" },
  { name: "digits", type: "string", default: "0,1,2,3,4,5,6,7,8,9", metavar: "LIST", help: "in-class digits, run in the order given" },
  { name: "seeds", type: "string", default: "1,2,3", metavar: "LIST", help: "seeds: parts 1 and 3 use the first, part 2 the others" },
  { name: "epochs", type: "number", integer: true, min: 1, defaultText: "the preset's", help: "override the preset's epoch cap (a new config, so new run ids)" },
  { name: "patience", type: "number", integer: true, min: 0, defaultText: "the preset's", help: "override the preset's patience (0: train every epoch of the cap; a new config, so new run ids)" },
  { name: "shard", type: "string", metavar: "I/N", defaultText: "from a Slurm array or Kubernetes Indexed Job, else 0/1", help: "run only the entries whose index % N == I (0 <= I < N), e.g. 0/2 and 1/2 on two machines" },
  { name: "dry-run", type: "flag", help: "list this shard's runs and which are done, in progress or to do; run nothing" },
  { name: "browser-ws", type: "string", metavar: "URL", help: "connect to a Playwright browser server (ws://host:port/...) instead of launching Chromium; the page server binds 127.0.0.1, so that browser must run on this host or through an SSH tunnel" },
  { name: "page-port", type: "number", integer: true, min: 0, max: 65535, default: 0, help: "port of the page server on 127.0.0.1 (0: any free port); fix it to forward it to a remote browser" },
  { name: "runner", type: "string", choices: ["chromium", "node"], default: "chromium", help: "where WebGPU runs (npm start's --runner)" },
  { name: "results", type: "string", metavar: "FILE", defaultText: "results/<preset>.jsonl", help: "JSON-lines file the finished runs are appended to; README.md beside it is re-rendered" },
  { name: "runs", type: "string", metavar: "DIR", default: "runs/grid", help: "folder of the run folders (<runs>/<id>/: checkpoints, logs, figures, report)" },
  { name: "help", type: "flag", alias: "h", help: "print this help and exit" },
]);

export type ReproduceArgs = ParsedArgs<typeof reproduceOptions>;

/** The grid's model variants: npm start's options for each, and the config switches they give. */
export const VARIANTS = {
  ocgan: { model: "ocgan", flags: ["--no-baseline"], overrides: {}, label: "OCGAN" },
  ae: { model: "ae", flags: [], overrides: {}, label: "AE" },
  "ocgan-dl": { model: "ocgan", flags: ["--no-visual-disc", "--no-classifier", "--no-baseline"], overrides: { visualDisc: false, classifier: false }, label: "AE + latent discriminator" },
  "ocgan-dl-dv": { model: "ocgan", flags: ["--no-classifier", "--no-baseline"], overrides: { classifier: false }, label: "AE + latent and visual discriminators" },
  dae: { model: "dae", flags: [], overrides: {}, label: "DAE" },
  // The authors' code weighs the losses otherwise than the paper (../shared/ocgan-spec.md): 500 x gluon's L2Loss (half the MSE) and 10 x the latent term.
  "ocgan-authors": { model: "ocgan", flags: ["--lambda", "250", "--latent-weight", "10", "--no-baseline"], overrides: { lambda: 250, latentWeight: 10 }, label: "OCGAN, the authors' code's loss weights" },
} as const satisfies Record<string, { model: ModelKind; flags: readonly string[]; overrides: Partial<OcganConfig>; label: string }>;

export type Variant = keyof typeof VARIANTS;

export interface GridEntry {
  /** Position in the whole grid (after --parts, --digits, --seeds), which --shard divides. */
  index: number;
  id: string;
  parts: number[];
  variant: Variant;
  digit: number;
  seed: number;
  config: OcganConfig;
}

/** A comma-separated list of integers in [min, max], without repeats. */
function parseList(option: string, text: string, min: number, max: number, what: string): number[] {
  const items = text.split(",").map((s) => s.trim());
  const values = items.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (!items.length || values.some((v) => !Number.isSafeInteger(v) || v < min || v > max) || new Set(values).size !== values.length) {
    throw new UsageError(`--${option} expects a comma-separated list of ${what} without repeats, got ${JSON.stringify(text)}`);
  }
  return values;
}

/**
 * The shard a cluster's job array gives this process, or null outside one:
 * a Slurm array job (SLURM_ARRAY_TASK_ID, counted from SLURM_ARRAY_TASK_MIN
 * in steps of SLURM_ARRAY_TASK_STEP, SLURM_ARRAY_TASK_COUNT tasks) or a
 * Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with the Job's completions
 * in REPRODUCE_SHARDS, which Kubernetes does not provide).
 */
export function shardFromEnvironment(env: NodeJS.ProcessEnv): { index: number; count: number; source: string } | null {
  const int = (name: string): number => {
    const text = env[name];
    if (text === undefined || !/^\d+$/.test(text)) throw new UsageError(`${name} is ${text === undefined ? "not set" : JSON.stringify(text)}; a shard needs it as a whole number (or pass --shard I/N)`);
    return Number(text);
  };
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const min = env.SLURM_ARRAY_TASK_MIN !== undefined ? int("SLURM_ARRAY_TASK_MIN") : 0;
    const step = env.SLURM_ARRAY_TASK_STEP !== undefined ? int("SLURM_ARRAY_TASK_STEP") : 1;
    const id = int("SLURM_ARRAY_TASK_ID");
    const count = int("SLURM_ARRAY_TASK_COUNT");
    const index = (id - min) / (step || 1);
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new UsageError(`SLURM_ARRAY_TASK_ID ${id} is not one of the ${count} tasks from ${min} in steps of ${step}; use a plain range (--array=0-${count - 1}) or pass --shard I/N`);
    }
    return { index, count, source: `Slurm array task ${id}` };
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    const index = int("JOB_COMPLETION_INDEX");
    if (env.REPRODUCE_SHARDS === undefined) throw new UsageError("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but REPRODUCE_SHARDS is not: set it to the Job's completions (docs/cluster/kubernetes-job.yaml does), or pass --shard I/N");
    const count = int("REPRODUCE_SHARDS");
    if (!(index < count)) throw new UsageError(`JOB_COMPLETION_INDEX ${index} is not below REPRODUCE_SHARDS ${count}`);
    return { index, count, source: `Kubernetes completion index ${index}` };
  }
  return null;
}

export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || !(count >= 1) || !(index < count)) throw new UsageError(`--shard expects I/N with 0 <= I < N (e.g. 0/2), got ${JSON.stringify(text)}`);
  return { index, count };
}

/** Keys sorted at every level, so a config hashes the same whatever order it was built in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function runId(variant: Variant, config: OcganConfig): string {
  const hash = createHash("sha256").update(canonical(config)).digest("hex").slice(0, 10);
  return `${variant}-d${config.digit}-s${config.seed}-${config.preset}-${hash}`;
}

/**
 * The grid in priority order: part 1 (per digit: OCGAN, AE; first seed), part
 * 2 (OCGAN and AE with each further seed, seed by seed over the digits), part
 * 3 (per digit the ablation AE, +Dl, +Dv, +Cl = OCGAN, and the DAE; first
 * seed), part 4 (per digit OCGAN with the authors' code's loss weights; first
 * seed). A run in several parts is listed once, where it first appears;
 * `variants` keeps only those models.
 */
export function buildGrid(
  preset: string, parts: number[], digits: number[], seeds: number[],
  length: { epochs?: number; patience?: number } = {}, variants: readonly Variant[] = Object.keys(VARIANTS) as Variant[],
): GridEntry[] {
  const wanted: { part: number; variant: Variant; digit: number; seed: number }[] = [];
  for (const part of [1, 2, 3, 4].filter((p) => parts.includes(p))) {
    if (part === 1) for (const digit of digits) for (const variant of ["ocgan", "ae"] as const) wanted.push({ part, variant, digit, seed: seeds[0] });
    if (part === 2) for (const seed of seeds.slice(1)) for (const digit of digits) for (const variant of ["ocgan", "ae"] as const) wanted.push({ part, variant, digit, seed });
    if (part === 3) for (const digit of digits) for (const variant of ["ae", "ocgan-dl", "ocgan-dl-dv", "ocgan", "dae"] as const) wanted.push({ part, variant, digit, seed: seeds[0] });
    if (part === 4) for (const digit of digits) wanted.push({ part, variant: "ocgan-authors", digit, seed: seeds[0] });
  }
  const entries: GridEntry[] = [];
  const byId = new Map<string, GridEntry>();
  for (const { part, variant, digit, seed } of wanted.filter((w) => variants.includes(w.variant))) {
    const v = VARIANTS[variant];
    const config = makeConfig(preset, {
      model: v.model, digit, seed, ...v.overrides,
      ...(length.epochs !== undefined ? { epochs: length.epochs } : {}), ...(length.patience !== undefined ? { patience: length.patience } : {}),
    });
    const id = runId(variant, config);
    const known = byId.get(id);
    if (known) {
      if (!known.parts.includes(part)) known.parts.push(part);
      continue;
    }
    const entry: GridEntry = { index: entries.length, id, parts: [part], variant, digit, seed, config };
    entries.push(entry);
    byId.set(id, entry);
  }
  return entries;
}

/** npm start's arguments for one run (without the runner's); the training length is always given, so a preset's change cannot alter a run. */
export function startArgs(entry: GridEntry, out: string): string[] {
  const v = VARIANTS[entry.variant];
  return [
    "--preset", entry.config.preset, "--model", v.model, "--digit", String(entry.digit), "--seed", String(entry.seed),
    "--epochs", String(entry.config.epochs), "--patience", String(entry.config.patience), ...v.flags, "--out", out,
  ];
}

/**
 * The run records of the results file and of every other *.jsonl beside it
 * (result files merged from other machines), by id; lines that are not whole
 * records (a kill mid-append) are skipped. A run recorded in any of them is
 * done.
 */
export function finishedRuns(file: string): Map<string, Record<string, unknown>> {
  const done = new Map<string, Record<string, unknown>>();
  const folder = dirname(file);
  const files = [file, ...(existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith(".jsonl")).sort().map((f) => join(folder, f)) : [])];
  for (const path of new Set(files)) if (existsSync(path)) readRecords(path, done);
  return done;
}

function readRecords(file: string, done: Map<string, Record<string, unknown>>): void {
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const record = JSON.parse(line);
      if (typeof record?.id === "string" && !done.has(record.id)) done.set(record.id, record);
    } catch {
      // a line cut short: that run is not finished
    }
  }
}

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** A path as the user would type it: relative to the working folder when inside it. */
function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith("..") && !isAbsolute(r) ? r : path;
}

/** The shell form of a command line, for the record (and a user) to rerun. */
function shellLine(words: string[]): string {
  return words.map((w) => (/^[\w./:=,@+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(" ");
}

let child: ChildProcess | null = null;
let stopping: NodeJS.Signals | null = null;

/** Runs npm start for one entry; resolves with its exit code, the adapter line and the wall time. */
function runStart(main: string, args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; adapter: string | null; wallMs: number }> {
  const started = performance.now();
  return new Promise((done, fail) => {
    // Its own process group: a Ctrl-C in the terminal reaches this process only, which passes it on once.
    const proc = spawn(process.execPath, [main, ...args], { stdio: ["ignore", "pipe", "inherit"], detached: true });
    child = proc;
    let adapter: string | null = null;
    let pending = "";
    proc.stdout!.setEncoding("utf8");
    // npm start's summary, indented under the run's heading; the adapter line is kept for the record.
    const line = (text: string) => {
      process.stdout.write(text ? `    ${text}\n` : "\n");
      if (text.startsWith("adapter: ")) adapter = text.slice("adapter: ".length);
    };
    proc.stdout!.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      lines.forEach(line);
    });
    proc.on("error", fail);
    proc.on("close", (code, signal) => {
      if (pending) line(pending);
      child = null;
      done({ code, signal, adapter, wallMs: performance.now() - started });
    });
  });
}

async function main(): Promise<void> {
  let args: ReproduceArgs;
  let parts: number[];
  let digits: number[];
  let seeds: number[];
  let variants: Variant[];
  let shard = { index: 0, count: 1, source: "" };
  try {
    args = parseArgs(reproduceOptions, process.argv.slice(2));
    parts = parseList("parts", args.parts, 1, 4, "parts 1 to 4");
    digits = parseList("digits", args.digits, 0, 9, "digits 0 to 9");
    seeds = parseList("seeds", args.seeds, 0, 4294967295, "seeds (integers >= 0)");
    const known = Object.keys(VARIANTS) as Variant[];
    variants = args.variants === undefined ? known : args.variants.split(",").map((v) => v.trim() as Variant);
    const unknown = variants.filter((v) => !known.includes(v));
    if (!variants.length || unknown.length || new Set(variants).size !== variants.length) {
      throw new UsageError(`--variants expects a comma-separated list of ${known.join(", ")} without repeats, got ${JSON.stringify(args.variants)}`);
    }
    if (args.shard !== undefined) shard = { ...parseShard(args.shard), source: "--shard" };
    else shard = shardFromEnvironment(process.env) ?? shard;
    if (args.browserWs !== undefined && args.runner !== "chromium") throw new UsageError(`--browser-ws drives a browser, so it needs --runner chromium, got --runner ${args.runner}`);
    if (args.browserWs !== undefined && !/^wss?:\/\/[^/\s]+/.test(args.browserWs)) throw new UsageError(`--browser-ws expects a ws:// or wss:// address of a Playwright browser server, got ${JSON.stringify(args.browserWs)}`);
  } catch (error) {
    if (error instanceof UsageError) usageError(COMMAND, error.message);
    throw error;
  }
  if (args.help) {
    console.log(formatHelp(reproduceOptions, {
      usage: usageLine(COMMAND),
      description: "Runs the experiment grid behind results/README.md, one npm start per run (folder <runs>/<id>/), and appends each\nfinished run to the results file. Finished runs are skipped, killed ones resume from their last checkpoint.",
    }));
    return;
  }
  const grid = buildGrid(args.preset, parts, digits, seeds, { epochs: args.epochs, patience: args.patience }, variants);
  const mine = grid.filter((e) => e.index % shard.count === shard.index);
  const resultsFile = resolve(args.results ?? join("results", `${args.preset}.jsonl`));
  const runsDir = resolve(args.runs);
  const done = finishedRuns(resultsFile);
  const shardText = shard.count > 1 ? `, shard ${shard.index}/${shard.count}${shard.source !== "--shard" ? ` (${shard.source})` : ""}: ${mine.length} of them` : "";
  const length = `${args.epochs !== undefined ? `, at most ${args.epochs} epochs` : ""}${args.patience !== undefined ? `, patience ${args.patience}` : ""}`;
  const only = args.variants !== undefined ? `, only ${variants.join(",")}` : "";
  console.log(`grid: ${grid.length} runs (preset ${args.preset}, parts ${parts.join(",")}, digits ${digits.join(",")}, seeds ${seeds.join(",")}${length}${only})${shardText}; results: ${shown(resultsFile)} (and every *.jsonl beside it); run folders: ${shown(runsDir)}/<id>`);

  const status = (entry: GridEntry): string => {
    const record = done.get(entry.id) as { auc?: { protocol1?: number; protocol2?: number } } | undefined;
    if (record) return `done (P1 AUC ${record.auc?.protocol1?.toFixed(4)}, P2 AUC ${record.auc?.protocol2?.toFixed(4)})`;
    const runDir = join(runsDir, entry.id);
    const holder = lockHolder(runDir);
    const epoch = checkpointEpoch(join(runDir, VARIANTS[entry.variant].model, "last.safetensors"));
    const progress = epoch !== null ? `, epoch ${epoch}/${entry.config.epochs} checkpointed` : "";
    if (holder) return `running (pid ${holder.pid}${progress})`;
    return epoch !== null ? `to resume (epoch ${epoch}/${entry.config.epochs} checkpointed)` : "to do";
  };
  const describe = (entry: GridEntry) => `#${String(entry.index).padStart(3)} ${`part ${entry.parts.join("+")}`.padEnd(9)} ${entry.id.padEnd(36)} ${VARIANTS[entry.variant].label}, digit ${entry.digit}, seed ${entry.seed}`;

  if (args.dryRun) {
    for (const entry of mine) console.log(`${describe(entry)}: ${status(entry)}`);
    const finished = mine.filter((e) => done.has(e.id)).length;
    console.log(`${finished} of ${mine.length} done, ${mine.length - finished} to run`);
    return;
  }

  const here = dirname(fileURLToPath(import.meta.url));
  const main = join(here, "main.mjs");
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`node build.mjs\` first (npm run reproduce does)`);
  const repo = resolve(here, "../..");
  const commit = git(["rev-parse", "HEAD"], repo) ?? "unknown";
  // Uncommitted changes to tracked files, results/ aside (the lead commits results as they come).
  const dirty = (git(["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results"], repo) ?? "") !== "";

  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = signal;
      process.stderr.write(`\n${signal}: stopping after the current run's npm start exits (it resumes from its last checkpoint next time)\n`);
      child?.kill(signal === "SIGINT" ? "SIGINT" : "SIGTERM");
    });
  }

  // The plan names the whole grid asked for (every shard's runs), so the tables measure a smaller grid against itself.
  mkdirSync(dirname(resultsFile), { recursive: true });
  const planLock = await lockFolder(dirname(resultsFile), { command: "npm run reproduce", waitMs: 120_000 });
  try {
    addToPlan(dirname(resultsFile), grid);
  } finally {
    await planLock.release();
  }

  const summary = { ran: [] as string[], skipped: 0, busy: [] as string[], failed: [] as string[] };
  const todo = mine.filter((e) => !done.has(e.id));
  summary.skipped = mine.length - todo.length;
  if (summary.skipped) console.log(`${summary.skipped} already in ${shown(resultsFile)}: skipped`);
  for (const [k, entry] of todo.entries()) {
    if (stopping) break;
    // Another process may have finished it since we started (another shard on the same files).
    if (finishedRuns(resultsFile).has(entry.id)) {
      summary.skipped++;
      continue;
    }
    const runDir = join(runsDir, entry.id);
    mkdirSync(runDir, { recursive: true });
    let lock;
    try {
      lock = await lockFolder(runDir, {
        command: "npm run reproduce",
        onLost: (error: Error) => {
          process.stderr.write(`\nlost the lock on ${runDir} (${error.message}): stopping its npm start\n`);
          child?.kill("SIGTERM");
        },
      });
    } catch (error) {
      if (!(error instanceof FolderBusyError)) throw error;
      console.log(`[${k + 1}/${todo.length}] ${entry.id}: ${describeOwner((error as { owner: unknown }).owner)} is working in ${runDir}; left to it`);
      summary.busy.push(entry.id);
      continue;
    }
    const resumedFrom = checkpointEpoch(join(runDir, VARIANTS[entry.variant].model, "last.safetensors"));
    console.log(`\n[${k + 1}/${todo.length}] ${describe(entry).trim()}${resumedFrom !== null ? ` (resuming: ${resumedFrom}/${entry.config.epochs} epochs done)` : ""}`);
    const runnerArgs = [
      "--runner", args.runner,
      ...(args.browserWs !== undefined ? ["--browser-ws", args.browserWs] : []),
      ...(args.pagePort ? ["--page-port", String(args.pagePort)] : []),
    ];
    const own = startArgs(entry, runDir);
    const { code, signal, adapter, wallMs } = await runStart(main, [...own, ...runnerArgs]);
    if (code !== 0) {
      await lock.release();
      console.log(`  ${entry.id}: npm start ${signal ? `was stopped by ${signal}` : `exited with code ${code}`}; ${stopping ? "stopping" : "going on with the next run"}`);
      if (!stopping) summary.failed.push(entry.id);
      continue;
    }
    const name = VARIANTS[entry.variant].model;
    const resultFile = join(runDir, name, "result.json");
    const result = JSON.parse(readFileSync(resultFile, "utf8"));
    // npm start builds the config from its options; it must be the one the id was made from.
    if (canonical(result.config) !== canonical(entry.config)) {
      throw new Error(`${resultFile}: npm start ran with another config than the grid's for ${entry.id}:\n  ${canonical(result.config)}\n  ${canonical(entry.config)}`);
    }
    const outArg = isAbsolute(args.runs) ? runDir : shown(runDir);
    const record = {
      id: entry.id,
      variant: entry.variant,
      parts: entry.parts,
      preset: entry.config.preset,
      digit: entry.digit,
      seed: entry.seed,
      auc: { protocol1: result.evaluation.protocol1.auc, protocol2: result.evaluation.protocol2.auc },
      protocol1: { positives: result.evaluation.protocol1.positives, negatives: result.evaluation.protocol1.negatives },
      protocol2: { positives: result.evaluation.protocol2.positives, negatives: result.evaluation.protocol2.negatives },
      perDigitMse: result.evaluation.perDigitMse,
      selectedEpoch: result.selectedEpoch,
      selection: result.selection,
      bestValidationMse: result.bestValidationMse,
      stopEpoch: result.stopEpoch,
      stopReason: result.stopReason,
      validationCurve: result.validationCurve,
      trainingMs: result.trainingMs,
      wallMs,
      resumedFromEpoch: resumedFrom,
      adapter: adapter ?? "unknown adapter",
      runner: args.runner,
      browser: args.runner === "chromium" ? (args.browserWs !== undefined ? "remote (--browser-ws)" : "launched") : null,
      commit,
      dirty,
      finishedAt: new Date().toISOString(),
      command: shellLine(["npm", "start", "--", ...startArgs(entry, outArg)]),
      config: result.config,
    };
    // The results folder has one writer at a time too (shards may share it): wait for the other's append and render.
    const resultsLock = await lockFolder(dirname(resultsFile), { command: "npm run reproduce", waitMs: 120_000 });
    let rendered;
    try {
      appendLine(resultsFile, JSON.stringify(record));
      rendered = renderFolder(dirname(resultsFile));
    } finally {
      await resultsLock.release();
    }
    await lock.release();
    summary.ran.push(entry.id);
    console.log(`  ${entry.id}: Protocol 1 AUC ${record.auc.protocol1.toFixed(4)}, Protocol 2 AUC ${record.auc.protocol2.toFixed(4)}, wall ${formatDuration(wallMs)}${resumedFrom !== null ? " (this session)" : ""}`);
    console.log(`  ${shown(rendered.out)}: ${rendered.records} runs`);
  }
  console.log(`\nthis session: ${summary.ran.length} finished, ${summary.skipped} already done${summary.busy.length ? `, ${summary.busy.length} left to other processes` : ""}${summary.failed.length ? `, ${summary.failed.length} failed (${summary.failed.join(", ")})` : ""}`);
  if (stopping) process.exit(stopping === "SIGINT" ? 130 : 143);
  if (summary.failed.length) process.exit(1);
}

main().catch((error) => {
  process.stderr.write(`\nerror: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
