// `npm start`: trains OCGAN (and, beside it, the plain AE baseline) on one
// digit in headless Chromium on WebGPU, shows progress in the terminal, and
// writes checkpoints, the loss log, figures and an HTML report to --out.
// This side parses arguments, owns the files and the terminal; the training
// runs in the page (cli/page.ts).
import { mkdirSync, writeFileSync, renameSync, readFileSync, appendFileSync, existsSync, accessSync, constants } from "node:fs";
import { dirname, join, resolve, isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, formatHelp, trainOptions, UsageError, type TrainArgs } from "./args.js";
import { makeConfig, type OcganConfig } from "../src/ocgan/config.js";
import type { Job, JobSummary } from "./page.js";
import type { ProgressEvent } from "../src/ocgan/experiment.js";
// @ts-expect-error plain ES modules shared with the test runner
import { serve } from "../scripts/serve.mjs";
// @ts-expect-error plain ES modules shared with the test runner
import { launchChromium } from "../scripts/chromium.mjs";

const USAGE = "npm start -- [options]";

function usageError(message: string): never {
  process.stderr.write(`error: ${message}\nusage: ${USAGE} (see npm start -- --help)\n`);
  process.exit(2);
}

/** The run's config: the preset's, with every option given on the command line applied. */
export function configFromArgs(args: TrainArgs, model = args.model): OcganConfig {
  const overrides: Partial<OcganConfig> = { model: model as OcganConfig["model"], digit: args.digit, seed: args.seed };
  const numeric = { epochs: "epochs", batch: "batch", lr: "lr", lambda: "lambda", sigma: "sigma", miningSteps: "miningSteps", miningLr: "miningLr", warmupEpochs: "warmupEpochs" } as const;
  for (const [key, arg] of Object.entries(numeric)) {
    const value = (args as Record<string, unknown>)[arg];
    if (typeof value === "number") (overrides as Record<string, number>)[key] = value;
  }
  if (args.noLatentDisc) overrides.latentDisc = false;
  if (args.noVisualDisc) overrides.visualDisc = false;
  if (args.noClassifier) overrides.classifier = false;
  return makeConfig(args.preset, overrides);
}

/** Writes through a temporary file and a rename, so a kill mid-write leaves the old file whole. */
function writeAtomic(file: string, data: Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, file);
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

function progressPrinter() {
  const tty = process.stderr.isTTY;
  let sessionStart: { name: string; done: number; ms: number } | null = null;
  return (event: ProgressEvent) => {
    if (event.kind === "stage") {
      process.stderr.write(`${tty ? "\r\x1b[K" : ""}[${event.name}] ${event.stage}\n`);
    } else if (event.kind === "epoch") {
      const line = `[${event.name}] epoch ${event.epoch + 1}/${event.epochs} done: in-class validation MSE ${event.validationMse.toFixed(5)}${event.improved ? " (best so far)" : ""}`;
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
      const line = `[${event.name}] [${bar}] epoch ${event.epoch + 1}/${event.epochs} it ${event.iteration + 1}/${event.iterationsPerEpoch} ${losses} | ${(rate / 1000).toFixed(2)} s/it, ${formatDuration(rate * (total - done))} left`;
      if (tty) process.stderr.write(`\r\x1b[K${line.slice(0, process.stderr.columns ? process.stderr.columns - 1 : line.length)}`);
      else if (event.iteration + 1 === event.iterationsPerEpoch || done === 1) process.stderr.write(`${line}\n`);
    }
  };
}

async function main(): Promise<void> {
  let args: TrainArgs;
  try {
    args = parseArgs(trainOptions, process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) usageError(error.message);
    throw error;
  }
  if (args.help) {
    console.log(formatHelp(trainOptions, {
      usage: USAGE,
      description: "Trains OCGAN on one MNIST digit on WebGPU (headless Chromium) and evaluates it under Protocols 1 and 2;\nwith --model ocgan the plain auto-encoder is trained the same way beside it.",
    }));
    return;
  }
  let configs: { name: string; config: OcganConfig }[];
  try {
    configs = [{ name: args.model, config: configFromArgs(args) }];
    if (args.model === "ocgan" && !args.noBaseline) configs.push({ name: "ae", config: configFromArgs(args, "ae") });
  } catch (error) {
    usageError((error as Error).message);
  }
  const out = resolve(args.out ?? `runs/${args.model}-digit${args.digit}-seed${args.seed}`);
  try {
    mkdirSync(out, { recursive: true });
    accessSync(out, constants.W_OK);
  } catch (error) {
    usageError(`--out ${out} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (args.resume && !existsSync(args.resume)) usageError(`--resume ${args.resume}: no such file`);

  const job: Job = {
    selection: "validation-mse",
    experiments: configs.map(({ name, config }, k) => {
      const own = join(out, name, "last.safetensors");
      const resume = k === 0 && args.resume ? resolve(args.resume) : existsSync(own) ? own : undefined;
      if (resume) process.stderr.write(`[${name}] resuming from ${resume}\n`);
      return { name, config, resume };
    }),
  };
  const inOut = (path: string) => {
    const file = isAbsolute(path) ? path : resolve(out, path);
    if (!isAbsolute(path) && relative(out, file).startsWith("..")) throw new Error(`refusing to touch ${path}: outside the run folder`);
    return file;
  };

  // The page and the data, built by build.mjs next to this file.
  const site = join(dirname(fileURLToPath(import.meta.url)), "page");
  if (!existsSync(join(site, "data", "mnist.bin"))) throw new Error(`${site} is incomplete: run \`node build.mjs\` first (npm start does)`);
  const { server, url } = await serve(site);
  const browser = await launchChromium();
  let summary: JobSummary;
  try {
    const page = await browser.newPage();
    page.on("pageerror", (e: Error) => process.stderr.write(`page error: ${e.message}\n`));
    await page.exposeFunction("__hostWrite", (path: string, base64: string) => writeAtomic(inOut(path), Buffer.from(base64, "base64")));
    await page.exposeFunction("__hostAppend", (path: string, line: string) => {
      const file = inOut(path);
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, `${line}\n`);
    });
    await page.exposeFunction("__hostRead", (path: string) => {
      const file = inOut(path);
      return existsSync(file) ? readFileSync(file).toString("base64") : null;
    });
    await page.exposeFunction("__hostProgress", progressPrinter());
    await page.goto(url);
    await page.waitForFunction(() => typeof window.__runJob === "function");
    summary = await page.evaluate((j: Job) => window.__runJob(j), job);
  } finally {
    await browser.close();
    server.close();
  }
  process.stderr.write("\n");
  console.log(`adapter: ${summary.adapter}`);
  for (const r of summary.results) {
    const e = r.evaluation;
    console.log(`${r.name.padEnd(6)} digit ${r.config.digit}: Protocol 1 AUC ${e.protocol1.auc.toFixed(4)}, Protocol 2 AUC ${e.protocol2.auc.toFixed(4)} (epoch ${r.selectedEpoch}/${r.config.epochs} by in-class validation MSE, training ${formatDuration(r.trainingMs)})`);
  }
  console.log("\nmean reconstruction error per test digit:");
  console.log(`digit  ${summary.results.map((r) => r.name.padStart(8)).join(" ")}`);
  for (let d = 0; d < 10; d++) {
    console.log(`${String(d).padEnd(6)} ${summary.results.map((r) => r.evaluation.perDigitMse[d].toFixed(4).padStart(8)).join(" ")}${d === summary.results[0].config.digit ? "  (in-class)" : ""}`);
  }
  console.log(`\nreport: ${join(out, "index.html")}`);
}

main().catch((error) => {
  process.stderr.write(`\nerror: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
