// The README's figures are those of the files they come from
// (scripts/readme-figures.mjs): the npm start block from the committed run in
// docs/runs/fast-digit8-seed1/, the grid's from results/*.jsonl, the
// benchmark's from the newest bench/results/swiftshader-<commit>.json. A README that
// cites another number fails here, naming the block.
// Run by `npm test` (test/run.mjs); alone: node --test test/system/readme.test.mjs
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync, mkdirSync, copyFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const work = mkdtempSync(join(tmpdir(), "readme-test-"));
after(() => rmSync(work, { recursive: true, force: true }));
const figures = (...args) => spawnSync(process.execPath, ["scripts/readme-figures.mjs", ...args], { cwd: root, encoding: "utf8" });

test("readme: every figure block of README.md matches the files it is rendered from", () => {
  const r = figures("--check");
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /every figure block matches its files/);
});

test("readme: a changed figure, or a results file with another run, fails the check naming the block", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = readme.slice(readme.indexOf("<!-- figures:npm-start -->"), readme.indexOf("<!-- /figures:npm-start -->"));
  const auc = /\*\*(0\.\d{4})\*\*/.exec(block)[1];
  const altered = join(work, "README.md");
  writeFileSync(altered, readme.replace(`**${auc}**`, `**${(Number(auc) + 0.01).toFixed(4)}**`));
  let r = figures("--check", "--readme", altered);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the figures of 'npm-start' differ from the files they come from/);

  // A benchmark figure that is not the newest full run's.
  const roofline = /Roofline: \*\*([\d.]+) GFLOP\/s\*\*/.exec(readme)[1];
  writeFileSync(altered, readme.replace(`Roofline: **${roofline} GFLOP/s**`, `Roofline: **${(Number(roofline) + 1).toFixed(2)} GFLOP/s**`));
  r = figures("--check", "--readme", altered);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the figures of 'bench' differ/);

  // One more finished run in the results folder: the grid's block is stale until rendered again.
  const results = join(work, "results");
  mkdirSync(results);
  for (const f of readdirSync(join(root, "results")).filter((f) => f.endsWith(".jsonl"))) copyFileSync(join(root, "results", f), join(results, f));
  const record = {
    id: "ae-d9-s3-fast-0123456789", variant: "ae", preset: "fast", digit: 9, seed: 3, auc: { protocol1: 0.9, protocol2: 0.89 },
    selectedEpoch: 50, stopEpoch: 70, stopReason: "patience", perDigitMse: Array(10).fill(0.1), config: { preset: "fast", model: "ae", digit: 9, seed: 3, patience: 20, epochs: 300 },
  };
  writeFileSync(join(results, "other-machine.jsonl"), JSON.stringify(record) + "\n");
  writeFileSync(altered, readme);
  r = figures("--check", "--readme", altered, "--results", results);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the figures of 'grid' differ/);
  r = figures("--readme", altered, "--results", results);
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(altered, "utf8"), /\| 9 \| 0\.981 \| [^\n]*epochs [^\n]*50\/70\)/, "the new run's epochs in digit 9's row");
  assert.equal(figures("--check", "--readme", altered, "--results", results).status, 0, "rendered, it matches");
});
