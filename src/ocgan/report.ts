// The report page: for each experiment (OCGAN and the plain AE side by side),
// its settings, AUCs, figures and the per-digit reconstruction-error table.
import { LOSS_NAMES } from "./step.js";
import { PALETTE } from "../io/plot.js";
import type { ExperimentResult } from "./experiment.js";

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
const rgb = ([r, g, b]: [number, number, number]) => `rgb(${r},${g},${b})`;

function settings(r: ExperimentResult): string {
  const c = r.config;
  const rows = Object.entries(c).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(String(v))}</td></tr>`).join("");
  return `<details><summary>settings</summary><table>${rows}</table></details>`;
}

function perDigitTable(results: ExperimentResult[]): string {
  const digit = results[0].config.digit;
  const head = results.map((r) => `<th>${esc(r.name)}</th>`).join("");
  const rows = Array.from({ length: 10 }, (_, d) => {
    const cells = results.map((r) => `<td>${r.evaluation.perDigitMse[d].toFixed(4)}</td>`).join("");
    return `<tr${d === digit ? ' class="in"' : ""}><td>${d}${d === digit ? " (in-class)" : ""}</td>${cells}</tr>`;
  }).join("");
  return `<table class="num"><tr><th>test digit</th>${head}</tr>${rows}</table>`;
}

function column(r: ExperimentResult): string {
  const e = r.evaluation;
  const fig = (key: string, caption: string) => (r.figures[key] ? `<figure><img src="${esc(r.figures[key])}"><figcaption>${caption}</figcaption></figure>` : "");
  const legend = LOSS_NAMES.map((n, i) => `<span style="color:${rgb(PALETTE[i])}">■ ${n}</span>`).join(" ");
  return `<section>
<h2>${esc(r.name)} <small>(${esc(r.config.model)}${r.config.model === "ocgan" ? componentList(r) : ""})</small></h2>
<p class="auc">Protocol 1 AUC <b>${e.protocol1.auc.toFixed(4)}</b> (${e.protocol1.positives} in / ${e.protocol1.negatives} out) ·
Protocol 2 AUC <b>${e.protocol2.auc.toFixed(4)}</b> (${e.protocol2.positives} in / ${e.protocol2.negatives} out)</p>
<p>Evaluated epoch ${r.selectedEpoch} of the ${r.stopEpoch} trained (chosen by ${r.selection === "last" ? "taking the last" : "lowest in-class validation MSE"}${r.bestValidationMse !== null ? `, ${r.bestValidationMse.toFixed(5)}` : ""}); ${r.stopReason === "patience" ? `it stopped after ${r.config.patience} epochs without improvement (converged)` : `it stopped at the cap of ${r.config.epochs} epochs${r.config.patience > 0 ? ", still improving" : ""}`}; training took ${(r.trainingMs / 1000).toFixed(0)} s.</p>
${fig("reconstructions", "Test digits (odd rows) and their reconstructions (even rows): the first 8 in-class, the next 8 out-of-class.")}
${fig("decoded", "Decoded from 16 random latents u ~ U(-1, 1)^d.")}
${fig("mined", "The same latents before (top two rows) and after (bottom two) informative-negative mining.")}
${fig("lossCurves", `Losses per iteration: ${legend}`)}
${fig("roc", `ROC curves: <span style="color:${rgb(PALETTE[0])}">Protocol 1</span>, <span style="color:${rgb(PALETTE[1])}">Protocol 2</span>.`)}
${settings(r)}
</section>`;
}

function componentList(r: ExperimentResult): string {
  const c = r.config;
  const off = [!c.latentDisc && "no latent discriminator", !c.visualDisc && "no visual discriminator", !c.classifier && "no classifier/mining"].filter(Boolean);
  return off.length ? `, ${off.join(", ")}` : "";
}

export function renderReport(results: ExperimentResult[], adapter: string): string {
  const c = results[0].config;
  return `<!doctype html><html><head><meta charset="utf-8"><title>OCGAN on digit ${c.digit}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}main{display:flex;gap:32px;flex-wrap:wrap}section{flex:1;min-width:420px}
img{image-rendering:pixelated;max-width:100%;border:1px solid #ddd}figure{margin:12px 0}figcaption{font-size:12px;color:#555}
table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}table.num td{font-variant-numeric:tabular-nums}
tr.in{font-weight:bold}.auc{font-size:16px}</style></head><body>
<h1>OCGAN novelty detection, in-class digit ${c.digit}</h1>
<p>Preset <b>${esc(c.preset)}</b>, seed ${c.seed}, adapter: ${esc(adapter)}. Novelty score: per-image MSE(x, De(En(x))), batch norm in eval mode. Higher AUC is better.</p>
<h2>Mean reconstruction error per test digit</h2>${perDigitTable(results)}
<main>${results.map(column).join("\n")}</main>
</body></html>`;
}
