// The README's figures, rendered from the files that hold them, so the README
// cannot cite a number its files do not: each block between
//   <!-- figures:NAME -->  and  <!-- /figures:NAME -->
// is generated here.
//   npm-start  from docs/runs/fast-digit8-seed1/: the result.json of each
//              model npm start wrote, and run.json (commit, date, adapter,
//              browser and wall time of that command);
//   grid       from GRID_DIR/*.jsonl, the converged grid `npm run reproduce`
//              records (scripts/render-results.mjs reads them);
//   bench      from the newest full benchmark run committed as
//              bench/results/swiftshader-<commit>.json (`npm run bench --
//              --out ...`), with the tables `npm run bench` prints.
//   node scripts/readme-figures.mjs            rewrite the blocks in README.md
//   node scripts/readme-figures.mjs --check    exit 1 naming each block that differs from its files
//   --readme FILE  --runs DIR  --results DIR  --bench FILE   other inputs (the tests use them)
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { join, dirname, basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readRecords, readPlan, resultFiles, coverage, coverageText, runsOf, PAPER } from "./render-results.mjs";
import { writeAtomic } from "./files.mjs";
import { fix, iterationTable, tfjsTable, targets, choicesTable, profileTable, probeTable, ceilingTable, compactKernelTable, describeRun } from "../bench/tables.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The grid being completed, at one commit; results/ itself once it is whole and its file moved there. */
const GRID_DIR = "results/grid-80f70ee";

const minutes = (ms) => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

function readJson(file) {
  if (!existsSync(file)) throw new Error(`${file} is missing`);
  return JSON.parse(readFileSync(file, "utf8"));
}

/** What `npm start` printed for digit 8, from the files it wrote. */
export function npmStartBlock(dir) {
  const run = readJson(join(dir, "run.json"));
  const models = ["ocgan", "ae"].map((name) => ({ name, r: readJson(join(dir, name, "result.json")) }));
  const c = models[0].r.config;
  const label = { ocgan: "OCGAN", ae: "plain AE (same En, De, schedule)" };
  const stop = (r) => (r.stopReason === "patience" ? `epoch ${r.selectedEpoch} of ${r.stopEpoch} (stopped by its patience)` : `epoch ${r.selectedEpoch} of ${r.stopEpoch} (the cap)`);
  const p1 = models[0].r.evaluation.protocol1;
  const lines = [
    `\`${run.command}\` on this project's 2-core machine, adapter "${run.adapter}", ${run.browser}, ${run.date}, commit ${run.commit.slice(0, 7)}${run.note ? ` (${run.note})` : ""}.`,
    `Preset \`${c.preset}\`: C = ${c.base} (Dv ${c.visualBase}), d = ${c.latent}, batch ${c.batch}, Adam lr ${c.lr} betas (${c.beta1}, ${c.beta2}), lambda ${c.lambda},`,
    `sigma ${c.sigma}, K = ${c.miningSteps} mining steps of size ${c.miningLr}, mining from epoch ${c.warmupEpochs + 1}, at most ${c.epochs} epochs with a patience of ${c.patience},`,
    `seed ${c.seed}. Protocol 1: ${p1.positives} in-class + ${p1.negatives} out-of-class test images. The whole command took ${minutes(run.wallMs)}.`,
    "",
    "| model | Protocol 1 AUC | Protocol 2 AUC | evaluated | training time |",
    "|---|---|---|---|---|",
    ...models.map(({ name, r }) => `| ${label[name]} | **${r.evaluation.protocol1.auc.toFixed(4)}** | ${r.evaluation.protocol2.auc.toFixed(4)} | ${stop(r)} | ${minutes(r.trainingMs)} |`),
    "",
    "Mean reconstruction error (the novelty score) of each digit's test pool:",
    "",
    `| test digit | ${Array.from({ length: 10 }, (_, d) => (d === c.digit ? `**${d}**` : String(d))).join(" | ")} |`,
    `|---|${"---|".repeat(10)}`,
    ...models.map(({ name, r }) => `| ${name === "ocgan" ? "OCGAN" : "AE"} | ${r.evaluation.perDigitMse.map((v, d) => (d === c.digit ? `**${v.toFixed(3)}**` : v.toFixed(3))).join(" | ")} |`),
  ];
  return lines.join("\n");
}

/** Where the converged grid stands: how much has run, and per digit what it gives so far. */
export function gridBlock(dir) {
  const files = resultFiles([dir]);
  const { records } = readRecords(files);
  const cover = coverage(records, readPlan([dir]));
  const lines = [];
  const converged = records.filter((r) => r.stopReason === "patience" && r.selectedEpoch < r.stopEpoch).length;
  lines.push(`**Where it stands** (${files.map((f) => (f.startsWith(root) ? relative(f) : `${basename(dirname(f))}/${basename(f)}`)).join(", ") || "no results file yet"}; rendered by \`node scripts/readme-figures.mjs\`): ` +
    `${coverageText(cover)}; ${converged} of them stopped by their patience.`);
  const digits = Array.from({ length: 10 }, (_, d) => d).filter((d) => runsOf(records, "ocgan", d).length || runsOf(records, "ae", d).length);
  if (digits.length) {
    const cell = (variant, d) => {
      const rs = runsOf(records, variant, d);
      if (!rs.length) return "—";
      const aucs = rs.map((r) => r.auc.protocol1);
      const epochs = rs.map((r) => `${r.selectedEpoch}/${r.stopEpoch}`).join(", ");
      return `${mean(aucs).toFixed(3)} (n = ${rs.length}; epochs ${epochs})`;
    };
    lines.push("", "Protocol 1 AUC so far, mean over the seeds that finished (selected/stop epoch of each):", "",
      "| digit | paper OCGAN | ours OCGAN | ours AE (converged) |", "|---|---:|---:|---:|",
      ...digits.map((d) => `| ${d} | ${PAPER.perDigit[d].toFixed(3)} | ${cell("ocgan", d)} | ${cell("ae", d)} |`));
  }
  return lines.join("\n");
}

/** The newest full benchmark run in `dir`: swiftshader-<commit>.json, by the date it records. */
export function newestBenchFile(dir) {
  const files = readdirSync(dir).filter((f) => /^swiftshader-[0-9a-f]{7,40}\.json$/.test(f)).map((f) => join(dir, f));
  if (!files.length) throw new Error(`${dir} holds no swiftshader-<commit>.json`);
  return files.map((f) => ({ f, date: readJson(f).date })).sort((a, b) => (a.date < b.date ? 1 : -1))[0].f;
}

/** The benchmark's figures from one results file: iterations, TF.js, targets, kernel choices at batch 64, profile, probes, kernels. */
export function benchBlock(file) {
  const r = readJson(file);
  const at64 = { ...r, tuning: (r.tuning ?? []).filter((c) => c.shape.startsWith("x[64,")) };
  return [
    `\`npm run bench -- --out ${relative(file)}\`: ${describeRun(r)}; \`npm run bench -- --print ${relative(file)}\` prints every table of the file.`,
    "",
    `Roofline: **${fix(r.roofline.fmaGflops)} GFLOP/s** multiply-add, **${fix(r.roofline.copyGBps)} GB/s** copy.`,
    "",
    iterationTable(r.iterations),
    "",
    "TensorFlow.js 4.22 in the same page, same networks and parameters (its time against the engine's; \"load-adjusted\" scales by the FMA spot checks taken beside each):",
    "",
    tfjsTable(r.tfjs, r.iterations),
    "",
    "The targets as the benchmark checks them (MET or MISS, with the passes that miss):",
    "",
    "```",
    ...targets(r),
    "```",
    "",
    "What the tuner timed and chose at batch 64 (ms per run of each variant; the file also holds batch 32 and the paper preset's warm-up at batch 8):",
    "",
    choicesTable(at64),
    "",
    "Where one iteration's GPU time goes (batch 32, one iteration with a timestamp on every dispatch, by kernel, every shape summed; the twelve largest of each preset):",
    "",
    profileTable(r.iterations),
    "",
    "The block probes (bench/block-probes.ts): a product kernel's inner loop alone, its accumulators fed from registers, from per-lane loads at run-time offsets (\"gather\"), or from loads shared across a quad of lanes by subgroup shuffles (\"quad\"):",
    "",
    probeTable(r),
    "",
    "The profiled compute kernels against the probe of their scheme (the largest first):",
    "",
    ceilingTable(r),
    "",
    "Every kernel of the run, timed alone at batch 64 (ms, GFLOP/s and share of the FMA roofline; GB/s and share of the copy roofline for the memory-bound ones; each conv pass ran the variant the tuner chose for its shape):",
    "",
    compactKernelTable(r.kernels),
  ].join("\n");
}

const relative = (file) => (file.startsWith(root) ? file.slice(root.length + 1) : file);

const BLOCKS = { "npm-start": (o) => npmStartBlock(o.runs), grid: (o) => gridBlock(o.results), bench: (o) => benchBlock(o.bench ?? newestBenchFile(join(root, "bench/results"))) };

/** README text with every block replaced by what its files give; `differs` lists the blocks that changed. */
export function renderReadme(text, inputs) {
  const differs = [];
  let out = text;
  for (const [name, render] of Object.entries(BLOCKS)) {
    const open = `<!-- figures:${name} -->`;
    const close = `<!-- /figures:${name} -->`;
    const from = out.indexOf(open);
    const to = out.indexOf(close);
    if (from < 0 || to < from) throw new Error(`the README has no block ${open} ... ${close}`);
    const current = out.slice(from + open.length, to);
    const wanted = `\n${render(inputs)}\n`;
    if (current !== wanted) differs.push(name);
    out = out.slice(0, from + open.length) + wanted + out.slice(to);
  }
  return { text: out, differs };
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] && resolve(process.argv[1]) === self) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  };
  const readme = option("--readme", join(root, "README.md"));
  const inputs = { runs: option("--runs", join(root, "docs/runs/fast-digit8-seed1")), results: option("--results", join(root, GRID_DIR)), bench: option("--bench", null) };
  const { text, differs } = renderReadme(readFileSync(readme, "utf8"), inputs);
  if (args.includes("--check")) {
    if (differs.length) {
      console.error(`${readme}: the figures of ${differs.map((d) => `'${d}'`).join(" and ")} differ from the files they come from; run node scripts/readme-figures.mjs`);
      process.exit(1);
    }
    console.log(`${readme}: every figure block matches its files`);
  } else {
    writeAtomic(readme, text);
    console.log(`${readme}: ${differs.length ? `rewrote ${differs.join(", ")}` : "already up to date"}`);
  }
}
