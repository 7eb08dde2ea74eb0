// Renders results/README.md from the runs recorded in results/*.jsonl (one
// JSON line per finished run, appended by `npm run reproduce`): per digit, our
// mean ± std over seeds beside the paper's OCGAN numbers, the paper's ablation
// beside ours, the per-digit reconstruction-error tables and every run with
// its settings, adapter and commit. Our numbers come only from those files;
// the only numbers written here are the paper's. "PARTIAL" counts against the
// folder's plan.json (the runs reproduce was asked for), else the whole grid.
//   node scripts/render-results.mjs [DIR | FILE.jsonl ...] [--out FILE]
// Default: every results/*.jsonl, written to results/README.md.
import { readFileSync, readdirSync, existsSync, statSync, mkdirSync } from "node:fs";
import { join, dirname, basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeAtomic } from "./files.mjs";
import { formatDuration } from "./duration.mjs";

/** Perera et al., CVPR 2019, MNIST AUC (Protocol 1), digits 0-9, and their mean. */
export const PAPER = {
  perDigit: [0.998, 0.999, 0.942, 0.963, 0.975, 0.98, 0.991, 0.981, 0.939, 0.981],
  mean: 0.975,
};

/** The grid's model variants (`variant` in each record), in the ablation's order, with the paper's ablation mean. */
export const VARIANTS = [
  { variant: "ae", label: "AE", paper: 0.957 },
  { variant: "ocgan-dl", label: "+ latent discriminator (Dl)", paper: 0.959 },
  { variant: "ocgan-dl-dv", label: "+ visual discriminator (Dv)", paper: 0.971 },
  { variant: "ocgan", label: "+ classifier and mining (Cl) = OCGAN", paper: 0.975 },
  { variant: "dae", label: "DAE (not in the paper's ablation)", paper: null },
  { variant: "ocgan-authors", label: "OCGAN with the authors' code's loss weights (250 x MSE, 10 x latent term)", paper: null },
];

/** The full grid per preset: parts 1 (OCGAN + AE), 2 (both with two more seeds), 3 (Dl, Dv ablations and DAE), 4 (the authors' loss weights), for ten digits. */
const GRID = { digits: 10, seeds: 3, parts: { 1: 20, 2: 40, 3: 30, 4: 10 } };

/**
 * Reads run records from .jsonl files. A line that is not a whole record (a
 * run killed mid-append) is skipped and reported in `problems`; a run id seen
 * twice keeps its first record.
 */
export function readRecords(files) {
  const records = [];
  const problems = [];
  const seen = new Set();
  for (const file of files) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, k) => {
      if (!line.trim()) return;
      let record;
      try {
        record = JSON.parse(line);
      } catch {
        problems.push(`${file}:${k + 1}: not JSON (a line cut short?), skipped`);
        return;
      }
      const p1 = record?.auc?.protocol1;
      const p2 = record?.auc?.protocol2;
      if (typeof record?.id !== "string" || typeof record?.config !== "object" || !Number.isFinite(p1) || !Number.isFinite(p2) || !VARIANTS.some((v) => v.variant === record.variant)) {
        problems.push(`${file}:${k + 1}: not a run record, skipped`);
        return;
      }
      if (seen.has(record.id)) {
        problems.push(`${file}:${k + 1}: run ${record.id} recorded again, the first record kept`);
        return;
      }
      seen.add(record.id);
      records.push(record);
    });
  }
  return { records, problems };
}

/**
 * The settings a table's runs must share: the config without what the grid
 * varies (digit, seed, model and its switches, sigma, which the AE forces
 * to 0, and the loss weights, which the authors'-weights variant changes; the
 * section lists the values it holds).
 */
export function settingsKey(config) {
  const { model: _m, digit: _d, seed: _s, latentDisc: _l, visualDisc: _v, classifier: _c, sigma: _n, lambda: _w, latentWeight: _lw, ...rest } = config;
  return JSON.stringify(Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))));
}

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
/** Sample standard deviation (n - 1); 0 for one value. */
const std = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const f3 = (x) => x.toFixed(3);
const cell = (xs) => (xs.length === 0 ? "—" : xs.length === 1 ? f3(xs[0]) : `${f3(mean(xs))} ± ${f3(std(xs))}`);
const signed = (x) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(3)}`;

function table(header, rows) {
  return [`| ${header.join(" | ")} |`, `|${header.map((h, i) => (i === 0 ? "---" : "---:")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

const escapeXml = (text) => String(text).replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]);

/**
 * Per digit, the paper's OCGAN AUC beside ours (bar: mean over seeds, dots:
 * each seed) and our AE, as an SVG bar chart. The axis starts at 0.5, chance.
 */
export function aucChart(perDigit, title) {
  const W = 760, H = 320, left = 44, right = 12, top = 44, bottom = 34;
  const lo = 0.5, hi = 1;
  const y = (v) => top + (H - top - bottom) * (1 - (Math.min(Math.max(v, lo), hi) - lo) / (hi - lo));
  const group = (W - left - right) / perDigit.length;
  const bar = group / 4.5;
  const series = [["paper OCGAN", "#9e9e9e"], ["ours OCGAN", "#1f77b4"], ["ours AE", "#ff7f0e"]];
  const svg = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`, `<text x="${left}" y="16" font-size="13" font-weight="bold">${escapeXml(title)}</text>`];
  series.forEach(([name, color], k) => svg.push(`<rect x="${left + k * 130}" y="26" width="10" height="10" fill="${color}"/><text x="${left + k * 130 + 14}" y="35">${name}</text>`));
  svg.push(`<circle cx="${left + 3 * 130 + 5}" cy="31" r="2.5" fill="black"/><text x="${left + 3 * 130 + 14}" y="35">one seed</text>`);
  for (let v = lo; v <= hi + 1e-9; v += 0.1) {
    svg.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e0e0e0"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  perDigit.forEach(({ digit, paper, ocgan, ae }, d) => {
    const x0 = left + d * group + (group - 3 * bar) / 2;
    [[paper], ocgan, ae].forEach((values, k) => {
      if (!values.length) return;
      const m = mean(values);
      const x = x0 + k * bar;
      svg.push(`<rect x="${x.toFixed(1)}" y="${y(m).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${(y(lo) - y(m)).toFixed(1)}" fill="${series[k][1]}"><title>${series[k][0]}, digit ${digit}: ${f3(m)}</title></rect>`);
      if (k > 0 && values.length > 1) for (const v of values) svg.push(`<circle cx="${(x + bar / 2 - 1).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="black"/>`);
    });
    svg.push(`<text x="${(left + (d + 0.5) * group).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle">${digit}</text>`);
  });
  svg.push(`<text x="${(left + W - right) / 2}" y="${H - 4}" text-anchor="middle">digit trained on (AUC, Protocol 1; below 0.5 drawn at 0.5)</text>`, "</svg>", "");
  return svg.join("\n");
}

/**
 * What a seed fixes. Records with a patience in their config come from the
 * commit that also mixed the digit into the seed (src/ocgan/config.ts,
 * trainingSeed); older ones gave every digit the same initial weights.
 */
function seedText(records) {
  return records.every((r) => "patience" in r.config)
    ? "A seed, mixed with the digit, fixes the initial weights, the batch order and the noise: runs of one seed on different digits start from unrelated weights."
    : "A seed fixes the initial weights (the same for every digit), the batch order and the noise.";
}

/**
 * Whether the runs converged: how many stopped because their in-class
 * validation MSE had not improved for their patience (selected epoch before
 * the stop), and which stopped at the cap or trained a fixed length.
 */
function convergence(records) {
  const byPatience = records.filter((r) => r.stopReason === "patience" && r.selectedEpoch < r.stopEpoch);
  const capped = records.filter((r) => !byPatience.includes(r));
  const lines = ["### Convergence", ""];
  if (!capped.length) {
    const stops = records.map((r) => r.stopEpoch);
    lines.push(`Every run stopped by its patience (${records[0].config.patience} epochs without a lower in-class validation MSE), so every selected epoch lies before its stop: stops from epoch ${Math.min(...stops)} to ${Math.max(...stops)} (median ${median(stops)}). The curves:`, "");
  } else {
    const why = (r) => (r.stopReason === undefined ? `trained a fixed ${r.config.epochs} epochs` : r.stopReason === "cap" ? `reached the cap of ${r.config.epochs} epochs` : "stopped");
    const reasons = [...new Set(capped.map(why))];
    lines.push(`**NOT CONVERGED**: ${capped.length} of ${records.length} runs were not stopped by a patience (${reasons.join("; ")}); ${capped.filter((r) => r.selectedEpoch === (r.stopEpoch ?? r.config.epochs)).length} of them selected their last epoch, so their validation MSE was still falling when they stopped. Their numbers are those of undertrained models.`, "");
  }
  return lines;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The in-class validation MSE after each epoch, one panel per digit: every
 * OCGAN run (blue) and AE run (orange), a dot at the selected epoch, as SVG.
 * Records without a curve (older ones) are left out.
 */
export function validationChart(records, title) {
  const withCurve = records.filter((r) => Array.isArray(r.validationCurve) && r.validationCurve.length && (r.variant === "ocgan" || r.variant === "ae"));
  if (!withCurve.length) return null;
  const cols = 5, pw = 180, ph = 130, gap = 14, left = 40, top = 44, bottom = 30;
  const W = left + cols * (pw + gap), H = top + 2 * (ph + gap + 12) + bottom;
  const maxEpoch = Math.max(...withCurve.map((r) => r.validationCurve.length));
  // A log scale: the last percent of improvement, where convergence is judged, stays visible beside the first epochs.
  const values = withCurve.flatMap((r) => r.validationCurve).filter((v) => v > 0);
  const lo = Math.min(...values), hi = Math.max(...values);
  const colors = { ocgan: "#1f77b4", ae: "#ff7f0e" };
  const svg = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`, `<text x="${left}" y="16" font-size="13" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${left}" y="25" width="10" height="10" fill="${colors.ocgan}"/><text x="${left + 14}" y="34">OCGAN</text>`,
    `<rect x="${left + 80}" y="25" width="10" height="10" fill="${colors.ae}"/><text x="${left + 94}" y="34">AE</text>`,
    `<circle cx="${left + 150}" cy="30" r="3" fill="black"/><text x="${left + 158}" y="34">selected epoch (lowest validation MSE); validation MSE on a log scale</text>`];
  for (let d = 0; d < GRID.digits; d++) {
    const x0 = left + (d % cols) * (pw + gap);
    const y0 = top + Math.floor(d / cols) * (ph + gap + 12);
    const x = (e) => x0 + (pw * (e - 1)) / Math.max(1, maxEpoch - 1);
    const y = (v) => y0 + ph * (1 - Math.log(Math.min(Math.max(v, lo), hi) / lo) / (Math.log(hi / lo) || 1));
    svg.push(`<rect x="${x0}" y="${y0}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/><text x="${x0 + 4}" y="${y0 + 12}">digit ${d}</text>`);
    if (d % cols === 0) svg.push(`<text x="${x0 - 4}" y="${y0 + 8}" text-anchor="end">${hi.toPrecision(2)}</text><text x="${x0 - 4}" y="${y0 + ph}" text-anchor="end">${lo.toPrecision(2)}</text>`);
    if (d >= cols) svg.push(`<text x="${x0}" y="${y0 + ph + 12}">1</text><text x="${x0 + pw}" y="${y0 + ph + 12}" text-anchor="end">${maxEpoch}</text>`);
    for (const r of withCurve.filter((r) => r.config.digit === d)) {
      const points = r.validationCurve.map((v, e) => `${x(e + 1).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
      const color = colors[r.variant];
      svg.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="1.2" opacity="0.8"><title>${r.variant}, digit ${d}, seed ${r.config.seed}</title></polyline>`);
      const sel = r.validationCurve[r.selectedEpoch - 1];
      if (Number.isFinite(sel)) svg.push(`<circle cx="${x(r.selectedEpoch).toFixed(1)}" cy="${y(sel).toFixed(1)}" r="2.5" fill="black"/>`);
    }
  }
  svg.push(`<text x="${W / 2}" y="${H - 6}" text-anchor="middle">epoch (in-class validation MSE after each)</text>`, "</svg>", "");
  return svg.join("\n");
}

/** Runs of one variant on one digit. */
export function runsOf(records, variant, digit) {
  return records.filter((r) => r.variant === variant && r.config.digit === digit);
}

/** What each part of the grid holds, as the coverage line names it. */
const PART_NAMES = { 1: "OCGAN and AE", 2: "both with two more seeds", 3: "ablation and DAE", 4: "the authors' loss weights" };

/**
 * How much of the grid a set of runs covers, by part. `plan` lists the runs
 * `npm run reproduce` was asked for (PLAN_FILE); without one, the whole
 * 100-run grid is the measure.
 */
export function coverage(records, plan = []) {
  const parts = { 1: 0, 2: 0, 3: 0, 4: 0 };
  let totals = { ...GRID.parts };
  if (plan.length) {
    const finished = new Set(records.map((r) => r.id));
    totals = { 1: 0, 2: 0, 3: 0, 4: 0 };
    for (const run of plan) {
      const part = Math.min(...run.parts);
      totals[part]++;
      parts[part] += finished.has(run.id);
    }
  } else {
    for (let d = 0; d < GRID.digits; d++) {
      for (const variant of ["ocgan", "ae"]) {
        const seeds = new Set(runsOf(records, variant, d).map((r) => r.config.seed));
        parts[1] += seeds.size > 0;
        parts[2] += Math.min(Math.max(seeds.size - 1, 0), GRID.seeds - 1);
      }
      parts[3] += ["ocgan-dl", "ocgan-dl-dv", "dae"].filter((v) => runsOf(records, v, d).length > 0).length;
      parts[4] += runsOf(records, "ocgan-authors", d).length > 0;
    }
  }
  const sum = (byPart) => Object.values(byPart).reduce((a, b) => a + b, 0);
  const done = sum(parts);
  const total = sum(totals);
  return { parts, totals, done, total, complete: done === total };
}

/** "12 of the grid's 100 runs have finished (part 1, OCGAN and AE: 12/20; ...)", naming only the parts the grid has. */
export function coverageText(cover) {
  const parts = [1, 2, 3, 4].filter((p) => cover.totals[p] > 0).map((p) => `part ${p}, ${PART_NAMES[p]}: ${cover.parts[p]}/${cover.totals[p]}`);
  return `${cover.done} of the grid's ${cover.total} runs have finished (${parts.join("; ")})`;
}

/**
 * The plan file of a results folder: every run `npm run reproduce` was asked
 * to record there (the union over its invocations and shards), so that a grid
 * smaller than the whole one is measured against itself.
 */
export const PLAN_FILE = "plan.json";

/** The planned runs of the folders holding `files` ([] where there is no plan). */
export function readPlan(dirs) {
  const runs = [];
  for (const dir of new Set(dirs)) {
    const file = join(dir, PLAN_FILE);
    if (!existsSync(file)) continue;
    const plan = JSON.parse(readFileSync(file, "utf8"));
    if (!Array.isArray(plan?.runs)) throw new Error(`${file}: not a grid plan (it has no "runs" list)`);
    runs.push(...plan.runs);
  }
  return runs;
}

/** Adds runs ({ id, parts, variant, digit, seed, config }) to `dir`'s plan, atomically; a run planned before keeps one entry, its parts merged. */
export function addToPlan(dir, entries) {
  const runs = readPlan([dir]);
  const byId = new Map(runs.map((r) => [r.id, r]));
  for (const { id, parts, variant, digit, seed, config } of entries) {
    const known = byId.get(id);
    if (known) known.parts = [...new Set([...known.parts, ...parts])].sort();
    else {
      const run = { id, parts: [...parts], variant, digit, seed, preset: config.preset, settings: settingsKey(config) };
      byId.set(id, run);
      runs.push(run);
    }
  }
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, PLAN_FILE), JSON.stringify({ about: "The runs npm run reproduce was asked to record in this folder; render-results.mjs measures the grid's coverage against them.", runs }, null, 1) + "\n");
}

function renderSection(records, title, charts, plan) {
  const byVariant = (variant, digit, protocol = "protocol1") => runsOf(records, variant, digit).map((r) => r.auc[protocol]);
  const config = (records.find((r) => r.variant === "ocgan") ?? records[0]).config;
  const cover = coverage(records, plan);
  const out = [];
  out.push(`## ${title}`, "");
  out.push(cover.complete
    ? `Complete: all ${cover.total} runs of the grid.`
    : `**PARTIAL**: ${coverageText(cover)}. Every number below is over the runs finished so far.`);
  out.push("");
  const hyper = ["base", "visualBase", "latent", "batch", "epochs", "patience", "lr", "beta1", "beta2", "lambda", "latentWeight", "miningSteps", "miningLr", "warmupEpochs"];
  const authors = records.find((r) => r.variant === "ocgan-authors");
  const authorsText = authors ? ` (the authors'-weights variant: lambda ${authors.config.lambda}, latentWeight ${authors.config.latentWeight})` : "";
  const sigmas = [...new Set(records.filter((r) => r.config.model !== "ae").map((r) => r.config.sigma))];
  if (config.preset !== "paper") out.push(`Preset \`${config.preset}\` is not the paper's network width and schedule (the \`paper\` preset is): these numbers say what this preset reaches, not whether the paper reproduces.`, "");
  out.push(`Settings (preset \`${config.preset}\`): ${hyper.map((k) => `${k} ${config[k] ?? "—"}`).join(", ")}${authorsText}, sigma ${sigmas.length ? sigmas.join(" and ") : "—"} (the AE has sigma 0). Model selection: ${[...new Set(records.map((r) => r.selection))].join(", ")} (the epoch with the lowest in-class validation MSE, never anything out-of-class).`, "");

  out.push(...convergence(records));
  if (charts.validation) out.push(`![In-class validation MSE per epoch, every OCGAN and AE run](${charts.validation})`, "");

  // The paper's table: per digit, Protocol 1.
  out.push("### OCGAN per digit (AUC, Protocol 1: the paper's protocol)", "");
  out.push(`Ours: mean ± sample std over seeds (n = the number of seeds). ${seedText(records)} Protocol 2 (all ten test pools) is our addition; the paper reports Protocol 1 for MNIST.`, "");
  const rows = [];
  const ourMeans = [];
  for (let d = 0; d < GRID.digits; d++) {
    const oc = byVariant("ocgan", d);
    const ae = byVariant("ae", d);
    if (oc.length) ourMeans.push({ d, m: mean(oc) });
    rows.push([String(d), f3(PAPER.perDigit[d]), cell(oc), String(oc.length || "—"), oc.length ? signed(mean(oc) - PAPER.perDigit[d]) : "—", cell(ae), cell(byVariant("ocgan", d, "protocol2")), cell(byVariant("ae", d, "protocol2"))]);
  }
  const digitsDone = ourMeans.map((x) => x.d);
  // The mean row's ± is over seeds of the ten-digit mean, when several seeds cover every digit.
  const seedsEverywhere = [...new Set(records.filter((r) => r.variant === "ocgan").map((r) => r.config.seed))]
    .filter((s) => Array.from({ length: GRID.digits }, (_, d) => d).every((d) => runsOf(records, "ocgan", d).some((r) => r.config.seed === s)));
  let meanCell = "—";
  let meanNote = "";
  if (ourMeans.length) {
    const m = mean(ourMeans.map((x) => x.m));
    meanCell = f3(m);
    if (seedsEverywhere.length >= 2) {
      const perSeed = seedsEverywhere.map((s) => mean(Array.from({ length: GRID.digits }, (_, d) => runsOf(records, "ocgan", d).find((r) => r.config.seed === s).auc.protocol1)));
      meanCell = `${f3(m)} ± ${f3(std(perSeed))}`;
    }
    if (ourMeans.length < GRID.digits) {
      const paperSame = mean(digitsDone.map((d) => PAPER.perDigit[d]));
      meanNote = ` (digits ${digitsDone.join(", ")} only; the paper on those digits: ${f3(paperSame)})`;
      meanCell += ` of ${ourMeans.length}`;
    }
  }
  const aeMeans = Array.from({ length: GRID.digits }, (_, d) => byVariant("ae", d)).filter((x) => x.length).map(mean);
  const p2Means = Array.from({ length: GRID.digits }, (_, d) => byVariant("ocgan", d, "protocol2")).filter((x) => x.length).map(mean);
  const aeP2Means = Array.from({ length: GRID.digits }, (_, d) => byVariant("ae", d, "protocol2")).filter((x) => x.length).map(mean);
  const meanOf = (xs) => (xs.length ? `${f3(mean(xs))}${xs.length < GRID.digits ? ` of ${xs.length}` : ""}` : "—");
  rows.push(["**mean**", f3(PAPER.mean), `**${meanCell}**`, "", ourMeans.length === GRID.digits ? signed(mean(ourMeans.map((x) => x.m)) - PAPER.mean) : "—", meanOf(aeMeans), meanOf(p2Means), meanOf(aeP2Means)]);
  out.push(table(["digit", "paper OCGAN", "ours OCGAN", "n", "ours − paper", "ours AE", "ours OCGAN, P2", "ours AE, P2"], rows));
  if (meanNote) out.push("", `Mean over digits${meanNote}. "of k": over the k digits with a run.`);
  if (seedsEverywhere.length >= 2) out.push("", `The mean's ± is the sample std over seeds ${seedsEverywhere.join(", ")} of the ten-digit mean.`);
  out.push("", `![AUC per digit: the paper's OCGAN, ours (every seed) and our AE](${charts.auc})`, "");

  // The ablation.
  out.push("### Ablation (mean AUC over digits, Protocol 1)", "");
  out.push("Each component added to the one above, as in the paper's ablation. Per digit, a variant's value is the mean over its seeds (the ablation runs use one seed; OCGAN and the AE may have three).", "");
  const ablation = VARIANTS.map(({ variant, label, paper }) => {
    const perDigit = Array.from({ length: GRID.digits }, (_, d) => byVariant(variant, d)).map((xs, d) => ({ d, xs })).filter((x) => x.xs.length);
    const p2 = Array.from({ length: GRID.digits }, (_, d) => byVariant(variant, d, "protocol2")).filter((x) => x.length).map(mean);
    const m = perDigit.length ? mean(perDigit.map((x) => mean(x.xs))) : null;
    return [label, paper === null ? "—" : f3(paper), m === null ? "—" : f3(m), perDigit.length ? (perDigit.length === GRID.digits ? "all 10" : perDigit.map((x) => x.d).join(", ")) : "—", p2.length ? f3(mean(p2)) : "—"];
  });
  // Means over different digits or seeds do not compare (digit 1 is easy, 8
  // is hard; OCGAN has three seeds, the ablation one): every variant is also
  // averaged over the digits they all have, on the ablation's seed alone, so
  // each row is the same experiment with one component more.
  const present = VARIANTS.filter((v) => records.some((r) => r.variant === v.variant));
  const shared = Array.from({ length: GRID.digits }, (_, d) => d).filter((d) => present.every((v) => runsOf(records, v.variant, d).length));
  // The ablation's seed: that of the variants only part 3 runs (OCGAN and the AE also have part 2's seeds).
  const ablationOnly = records.filter((r) => r.variant !== "ocgan" && r.variant !== "ae");
  const ablationSeeds = [...new Set((ablationOnly.length ? ablationOnly : records).map((r) => r.config.seed))];
  const moreSeeds = records.some((r) => (r.variant === "ocgan" || r.variant === "ae") && r.config.seed !== ablationSeeds[0]);
  const likeForLike = present.length > 1 && shared.length > 0 && ablationSeeds.length === 1 && (shared.length < GRID.digits || moreSeeds);
  const header = ["model", "paper", "ours", "over digits", "ours, P2"];
  if (likeForLike) {
    header.push(`ours, ${shared.length === GRID.digits ? "all digits" : `digits ${shared.join(", ")}`}, seed ${ablationSeeds[0]}`);
    VARIANTS.forEach(({ variant }, k) => {
      const aucs = shared.map((d) => runsOf(records, variant, d).find((r) => r.config.seed === ablationSeeds[0])?.auc.protocol1);
      ablation[k].push(aucs.every(Number.isFinite) ? f3(mean(aucs)) : "—");
    });
  }
  out.push(table(header, ablation), "");
  if (likeForLike) out.push(`The last column compares like with like: every variant on ${shared.length === GRID.digits ? "every digit" : `the digits all of them have (${shared.join(", ")})`}, seed ${ablationSeeds[0]} only.`, "");
  out.push("Per digit (Protocol 1):", "");
  out.push(table(["digit", ...VARIANTS.map((v) => v.variant)], Array.from({ length: GRID.digits }, (_, d) => [String(d), ...VARIANTS.map((v) => cell(byVariant(v.variant, d)))])), "");

  // Reconstruction error per test digit.
  for (const variant of ["ocgan", "ae"]) {
    const trained = Array.from({ length: GRID.digits }, (_, d) => runsOf(records, variant, d)).map((rs, d) => ({ d, rs })).filter((x) => x.rs.length);
    if (!trained.length) continue;
    out.push(`### Mean reconstruction error per test digit, ${variant === "ocgan" ? "OCGAN" : "AE"}`, "");
    out.push("Row: the digit trained on (mean over its seeds); column: the test pool scored; **bold**: in-class. A low error on other digits is what makes novelty hard to detect.", "");
    const mse = (rs, t) => mean(rs.map((r) => r.perDigitMse[t]));
    out.push(table(["trained \\ test", ...Array.from({ length: 10 }, (_, t) => String(t))], trained.map(({ d, rs }) => [String(d), ...Array.from({ length: 10 }, (_, t) => (t === d ? `**${mse(rs, t).toFixed(4)}**` : mse(rs, t).toFixed(4)))])), "");
  }

  // Every run.
  out.push("### Runs", "");
  const order = (r) => [r.config.digit, VARIANTS.findIndex((v) => v.variant === r.variant), r.config.seed];
  const sorted = [...records].sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  const adapters = [...new Set(records.map((r) => r.adapter))];
  const commits = [...new Set(records.map((r) => `${String(r.commit).slice(0, 10)}${r.dirty ? " (uncommitted changes)" : ""}`))];
  out.push(`Adapters: ${adapters.map((a) => `\`${a}\``).join(", ")}. Commits: ${commits.map((c) => `\`${c}\``).join(", ")}.`, "");
  out.push(table(["digit", "model", "seed", "P1 AUC", "P2 AUC", "selected of trained epochs", "training", "wall", "run id"], sorted.map((r) => [
    String(r.config.digit), r.variant, String(r.config.seed), r.auc.protocol1.toFixed(4), r.auc.protocol2.toFixed(4),
    r.stopEpoch === undefined ? `${r.selectedEpoch} of ${r.config.epochs}` : `${r.selectedEpoch} of ${r.stopEpoch}${r.stopReason === "cap" ? " (cap)" : ""}`, formatDuration(r.trainingMs), formatDuration(r.wallMs), `\`${r.id}\``,
  ])), "");
  out.push("<details><summary>The command that reruns each run on its own</summary>", "", "```sh", ...sorted.map((r) => r.command ?? `# ${r.id}: no command recorded`), "```", "", "</details>", "");
  return out.join("\n");
}

/**
 * The whole README for a set of records, one section per preset and settings,
 * and each section's chart: { markdown, charts: [{ file, svg }] }.
 */
export function renderMarkdown(records, { sources = [], problems = [], plan = [] } = {}) {
  const charts = [];
  const groups = new Map();
  for (const r of records) {
    const key = `${r.preset ?? r.config.preset}\n${settingsKey(r.config)}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  // The group with the latest run first.
  const latest = (rs) => rs.reduce((m, r) => (String(r.finishedAt ?? "") > m ? String(r.finishedAt ?? "") : m), "");
  const ordered = [...groups.values()].sort((a, b) => (latest(b) > latest(a) ? 1 : -1));
  const perPreset = new Map();
  const out = [];
  out.push("# Results: OCGAN on MNIST, against the paper's table", "");
  out.push("Generated by `node scripts/render-results.mjs` from " + (sources.length ? sources.map((s) => `\`${s}\``).join(", ") : "no result files") +
    ", the runs `npm run reproduce` recorded (one JSON line per finished run: full config, seed, commit, adapter, wall time, both protocols' AUC and the per-digit reconstruction error). Do not edit it by hand; rerun the script.", "");
  out.push("Paper: Perera et al., *OCGAN: One-class Novelty Detection Using GANs with Constrained Latent Representations*, CVPR 2019, MNIST, Protocol 1. Their numbers are on full MNIST (about 6,000 training images a digit); ours on the `mnist` package's 10,000 digits (each digit's first 80% for training, 10% of that held out for model selection), so each digit trains on about 700 images.", "");
  if (!records.length) out.push("**PARTIAL**: no run has finished yet.", "");
  for (const rs of ordered) {
    const preset = rs[0].preset ?? rs[0].config.preset;
    const k = (perPreset.get(preset) ?? 0) + 1;
    perPreset.set(preset, k);
    const title = `Preset \`${preset}\`${k > 1 ? ` (older settings, set ${k})` : ""}`;
    const file = `auc-${preset}${k > 1 ? `-set${k}` : ""}.svg`;
    const perDigit = Array.from({ length: GRID.digits }, (_, digit) => ({
      digit, paper: PAPER.perDigit[digit], ocgan: runsOf(rs, "ocgan", digit).map((r) => r.auc.protocol1), ae: runsOf(rs, "ae", digit).map((r) => r.auc.protocol1),
    }));
    const setName = `preset ${preset}${k > 1 ? ` (set ${k})` : ""}`;
    charts.push({ file, svg: aucChart(perDigit, `OCGAN on MNIST, ${setName}: AUC per digit`) });
    const curves = validationChart(rs, `In-class validation MSE per epoch, ${setName}`);
    const validation = curves ? file.replace(/^auc-/, "validation-") : null;
    if (curves) charts.push({ file: validation, svg: curves });
    const settings = settingsKey(rs[0].config);
    out.push(renderSection(rs, title, { auc: file, validation }, plan.filter((p) => p.preset === preset && p.settings === settings)));
  }
  if (problems.length) out.push("### Lines skipped", "", ...problems.map((p) => `- ${p}`), "");
  return { markdown: out.join("\n").replace(/\n{3,}/g, "\n\n"), charts };
}

/** The .jsonl files among `paths` (files, or folders whose *.jsonl are taken). */
export function resultFiles(paths) {
  const files = [];
  for (const p of paths) {
    if (existsSync(p) && statSync(p).isDirectory()) files.push(...readdirSync(p).filter((f) => f.endsWith(".jsonl")).sort().map((f) => join(p, f)));
    else if (existsSync(p)) files.push(p);
  }
  return files;
}

/** Renders the records of `files` into the markdown file `out` and its charts beside it, atomically; returns what it rendered. */
export function renderFiles(files, out) {
  const { records, problems } = readRecords(files);
  const plan = readPlan(files.map((f) => dirname(resolve(f))));
  const { markdown, charts } = renderMarkdown(records, { sources: files.map((f) => `${basename(dirname(resolve(f)))}/${basename(f)}`), problems, plan });
  for (const { file, svg } of charts) writeAtomic(join(dirname(out), file), svg);
  writeAtomic(out, markdown);
  return { out, files: files.length, records: records.length, charts: charts.map((c) => c.file), problems };
}

/** Renders every *.jsonl of `dir` into `dir`/README.md. */
export function renderFolder(dir) {
  return renderFiles(resultFiles([dir]), join(dir, "README.md"));
}

// Run as a script (not when bundled into another program, whose file has another name).
const self = fileURLToPath(import.meta.url);
if (basename(self) === "render-results.mjs" && process.argv[1] && resolve(process.argv[1]) === self) {
  const USAGE = "usage: node scripts/render-results.mjs [DIR | FILE.jsonl ...] [--out FILE]";
  const args = process.argv.slice(2);
  let out;
  const inputs = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out" && i + 1 < args.length) out = args[++i];
    else if (args[i] === "--help" || args[i] === "-h") {
      console.log(`${USAGE}\nRenders the results tables (default: results/*.jsonl into results/README.md).`);
      process.exit(0);
    } else if (args[i].startsWith("-")) {
      console.error(`error: ${args[i] === "--out" ? "--out needs a file" : `unknown option ${JSON.stringify(args[i])}`}\n${USAGE}`);
      process.exit(2);
    } else inputs.push(args[i]);
  }
  if (!inputs.length) inputs.push("results");
  const missing = inputs.filter((p) => !existsSync(p));
  if (missing.length) {
    console.error(`error: ${missing.join(", ")}: no such file or folder\n${USAGE}`);
    process.exit(2);
  }
  out ??= join(statSync(inputs[0]).isDirectory() ? inputs[0] : dirname(inputs[0]), "README.md");
  const result = renderFiles(resultFiles(inputs), out);
  for (const p of result.problems) console.error(`warning: ${p}`);
  console.log(`${out}: ${result.records} runs from ${result.files} file(s)`);
}
