// The training page's views: each draws one part of the page from the state
// (app/state.ts) and redraws only when the values it reads have changed, so
// the whole page can be rendered after every event. The loss charts and the
// status numbers change every iteration; they redraw at most every 400 and
// 100 ms (then once more with the latest state), which keeps training fast.
import { html, duration, num, type TrainingPage } from "./dom.js";
import { drawLineChart, drawBarChart, type LineSeries } from "./charts.js";
import { paintGrid, interleaveRows } from "./grids.js";
import { IN_CLASS, RANDOM } from "./figures.js";
import { drawGraph, describeNode, NET_COLORS, type GraphSnapshot, type GraphView } from "./graph.js";
import type { LatentExplorer } from "./explorer.js";
import type { LossName } from "../src/ocgan/step.js";
import {
  phaseOf, isBusy, trainingJob, runOf, tryConfig, resumable, explorerRuns, presetNames, presetNote, ROLES,
  type PageState, type Run, type TextField,
} from "./state.js";

const LOSS_COLORS: Record<LossName, string> = {
  classifier: "#e377c2", latentDisc: "#9467bd", visualDisc: "#8c564b", genMse: "#2ca02c", genLatent: "#1f77b4", genVisual: "#ff7f0e",
};

type View = (s: PageState) => void;

/** A view that draws only when one of the values `reads` picks from the state differs (by identity) from last time. */
function view(reads: (s: PageState) => unknown[], draw: View): View {
  let last: unknown[] | null = null;
  return (s) => {
    const now = reads(s);
    if (last && now.length === last.length && now.every((v, i) => Object.is(v, last![i]))) return;
    last = now;
    draw(s);
  };
}

/**
 * At most one call of `v` every `ms`; a call in between is made later, with
 * the latest state, unless `paintAtOnceWhenChanged` picks a new value from it.
 */
function throttled(ms: number, v: View, paintAtOnceWhenChanged?: (s: PageState) => unknown): View {
  let lastRun = -Infinity;
  let latest: PageState | null = null;
  let lastKey: unknown;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    lastRun = performance.now();
    v(latest!);
  };
  return (s) => {
    latest = s;
    const key = paintAtOnceWhenChanged?.(s);
    if (key !== lastKey) {
      lastKey = key;
      return run();
    }
    if (timer !== null) return;
    const wait = lastRun + ms - performance.now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
}

export interface Views {
  render(s: PageState): void;
  /** Animates backward()'s walk over the graph shown. */
  playBackward(): void;
}

export function createViews(el: TrainingPage, explorer: LatentExplorer): Views {
  el.graph.netsLegend.replaceChildren(...Object.entries(NET_COLORS).map(([name, color]) => html("span", {}, html("span", { class: "key", style: `background:${color}` }), ` ${name}`)));
  const graph = graphView(el);
  const views: View[] = [
    bootView(el),
    controlsView(el),
    buttonsView(el),
    view((s) => { const p = phaseOf(s); return [p.phase, p.text]; }, (s) => {
      const p = phaseOf(s);
      document.body.dataset.phase = p.phase;
      el.status.phase.textContent = p.text;
    }),
    view((s) => [s.message], (s) => {
      el.status.message.textContent = s.message.text;
      el.status.message.classList.toggle("error", s.message.error);
    }),
    // At a change of phase (paused, say) the status shows where training stands at once.
    throttled(100, view((s) => [s.status, s.job], (s) => statusView(el, s)), (s) => phaseOf(s).phase),
    throttled(400, view((s) => [s.main?.history, s.baseline?.history], (s) => lossChartsView(el, s))),
    view((s) => [s.figures], (s) => figuresView(el, s)),
    resultsView(el),
    downloadsView(el),
    explorerView(el, explorer),
    graph.view,
  ];
  return { render: (s) => views.forEach((v) => v(s)), playBackward: graph.playBackward };
}

// ---- boot, controls and buttons ----

function bootView(el: TrainingPage): View {
  return view((s) => [s.boot], (s) => {
    const { loading, app, noWebGpu, noWebGpuReason } = el.sections;
    const boot = s.boot;
    loading.hidden = boot.kind !== "loading" && boot.kind !== "failed";
    app.hidden = boot.kind !== "ready";
    noWebGpu.hidden = boot.kind !== "no-webgpu";
    if (boot.kind === "no-webgpu") noWebGpuReason.textContent = boot.reason;
    if (boot.kind === "failed") {
      loading.textContent = `Could not start: ${boot.message}`;
      loading.classList.add("error");
    }
    if (boot.kind === "ready") {
      el.adapter.textContent = `WebGPU adapter: ${boot.adapter}`;
      el.controls.digit.replaceChildren(...boot.trainCounts.map((n, d) => html("option", { value: d }, `${d}  (${n} training images)`)));
    }
  });
}

const TEXT_FIELDS: readonly TextField[] = ["digit", "model", "preset", "epochs", "patience", "batch", "seed", "refresh"];

function controlsView(el: TrainingPage): View {
  const presetOptions = view((s) => [presetNames(s).join("\n")], (s) => {
    el.controls.preset.replaceChildren(...presetNames(s).map((name) => html("option", { value: name }, name)));
  });
  return (s) => {
    presetOptions(s);
    const c = el.controls;
    // Written only where they differ, so typing in a field is left alone.
    for (const field of TEXT_FIELDS) if (c[field].value !== s.form[field]) c[field].value = s.form[field];
    c.baseline.checked = s.form.baseline;
    c.presetNote.textContent = presetNote(s.form.preset);
    const busy = isBusy(s);
    for (const input of [c.digit, c.model, c.preset, c.epochs, c.patience, c.batch, c.seed]) input.disabled = busy;
    c.baseline.disabled = busy || s.form.model !== "ocgan";
  };
}

function buttonsView(el: TrainingPage): View {
  return view((s) => [s.job, s.form, s.main, s.boot, s.capturing, s.graph], (s) => {
    const b = el.buttons;
    const busy = isBusy(s);
    const training = trainingJob(s);
    b.start.disabled = busy;
    b.start.textContent = training ? "Training…" : resumable(s, tryConfig(s)) ? `Resume from epoch ${s.main!.progress.epoch}` : "Train";
    b.pause.disabled = b.stop.disabled = !training || training.stopRequested;
    b.pause.textContent = training && training.pause.kind !== "none" ? "Resume" : "Pause";
    b.evaluate.disabled = busy || !s.main?.model;
    el.load.disabled = busy;
    el.graph.capture.disabled = s.capturing;
    el.graph.playBackward.disabled = !s.graph;
  });
}

// ---- status ----

function statusView(el: TrainingPage, s: PageState): void {
  const st = s.status;
  const run = st.role ? runOf(s, st.role) : null;
  const recent = st.recent;
  const latest = recent[recent.length - 1];
  const perIteration = recent.length > 1 ? (latest - recent[0]) / (recent.length - 1) : NaN;
  const training = trainingJob(s);
  const then = training?.role === "main" && training.thenBaseline ? ", then the AE baseline" : "";
  const e = el.status;
  e.epoch.textContent = st.epoch ? `${st.epoch.shown} / ${st.epoch.of}` : "–";
  e.iteration.textContent = st.iteration ? `${st.iteration.shown} / ${st.iteration.of}` : "–";
  e.elapsed.textContent = st.startedAt === null ? "–" : duration(latest - st.startedAt);
  const known = Number.isFinite(perIteration) && run && st.iterationsLeft !== null;
  // With a patience the run may stop earlier: the cap's time is an upper bound.
  e.left.textContent = known ? `${run.config.patience > 0 ? "at most " : ""}${duration(st.iterationsLeft! * perIteration)}${then}` : "–";
  e.throughput.textContent = known
    ? `${(run.config.batch / (perIteration / 1000)).toFixed(0)} images/s · ${(perIteration / 1000).toFixed(2)} s/iteration`
    : "–";
  e.validation.textContent = st.validation ? `${num(st.validation.mse)} (${st.validation.note})` : "–";
}

// ---- loss charts ----

/** Exponential moving average, for the thick line over the noisy per-iteration losses. */
function smooth(values: number[], alpha = 0.1): number[] {
  const out: number[] = [];
  let s = values[0] ?? 0;
  for (const v of values) out.push((s = s + alpha * (v - s)));
  return out;
}

function lossSeries(run: Run | null, names: LossName[], labels: Partial<Record<LossName, string>>, dash?: string): LineSeries[] {
  if (!run || run.history.length === 0) return [];
  const xs = run.history.map((_, i) => i + 1);
  const active = names.filter((n) => run.history.some((h) => h.losses[n] !== 0));
  return active.flatMap((n) => {
    const ys = run.history.map((h) => h.losses[n]);
    const color = dash ? "#7f7f7f" : LOSS_COLORS[n];
    return [
      { xs, ys, color, strokeWidth: 1, opacity: 0.3, dash },
      { xs, ys: smooth(ys), color, strokeWidth: 2, name: labels[n], dash },
    ];
  });
}

function lossChartsView(el: TrainingPage, s: PageState): void {
  const main = s.main;
  const off = (n: LossName) => (main && main.history.length && !main.history.some((h) => h.losses[n] !== 0) ? "switched off for this model" : "no iterations yet");
  const opts = { xLabel: "iteration", width: 300, height: 190 };
  const charts = el.lossCharts;
  drawLineChart(charts.classifier, lossSeries(main, ["classifier"], { classifier: "BCE(real, 1) + BCE(generated, 0)" }), { ...opts, empty: off("classifier") });
  drawLineChart(charts.latent, lossSeries(main, ["latentDisc"], { latentDisc: "BCE(u', 1) + BCE(En(x+n), 0)" }), { ...opts, empty: off("latentDisc") });
  drawLineChart(charts.visual, lossSeries(main, ["visualDisc"], { visualDisc: "BCE(x, 1) + BCE(De(u), 0)" }), { ...opts, empty: off("visualDisc") });
  const generator = [
    ...lossSeries(main, ["genMse", "genLatent", "genVisual"], { genMse: "MSE", genLatent: "BCE(Dl, 1)", genVisual: "BCE(Dv, 1)" }),
    ...lossSeries(s.baseline, ["genMse"], { genMse: "AE MSE" }, "5 3"),
  ];
  drawLineChart(charts.generator, generator, { ...opts, empty: "no iterations yet" });
}

// ---- image grids ----

function figuresView(el: TrainingPage, s: PageState): void {
  const shown = s.figures;
  if (!shown) return;
  const { figures: f, label, digit, when } = shown;
  const canvases = el.figures;
  paintGrid(canvases.inClass, interleaveRows(f.inClass, f.inClassRecon, IN_CLASS, IN_CLASS), 2 * IN_CLASS, IN_CLASS, null);
  const outCount = f.outDigits.length;
  paintGrid(canvases.outClass, interleaveRows(f.outClass, f.outClassRecon, outCount, outCount), 2 * outCount, outCount, null);
  paintGrid(canvases.random, f.decoded, RANDOM, 8, null);
  if (f.mined && f.scoreBefore && f.scoreAfter) {
    paintGrid(canvases.mined, interleaveRows(f.decoded, f.mined, RANDOM, 8), 2 * RANDOM, 8, null);
    const mean = (v: Float32Array) => v.reduce((sum, x) => sum + x, 0) / v.length;
    canvases.minedCaption.textContent = `The same latents before (rows 1, 3) and after (rows 2, 4) informative-negative mining; ` +
      `the classifier's mean in-class score drops from ${num(mean(f.scoreBefore))} to ${num(mean(f.scoreAfter))}`;
  } else {
    canvases.mined.getContext("2d")?.clearRect(0, 0, canvases.mined.width, canvases.mined.height);
    canvases.minedCaption.textContent = `${label} has no classifier, so there is no informative-negative mining.`;
  }
  canvases.caption.textContent = `Showing ${label}, digit ${digit}, ${when} (eval mode: batch-norm running statistics).`;
}

// ---- results: AUC cards, ROC curves, per-digit bars ----

function resultsView(el: TrainingPage): View {
  return view((s) => [s.main?.evaluation, s.baseline?.evaluation, s.main?.label, s.main?.weightsEpoch, s.baseline?.weightsEpoch, !!s.baseline, s.main?.config.digit ?? s.form.digit], (s) => {
    const { main, baseline } = s;
    const r = el.results;
    const evaluated = [main, baseline].filter((run): run is Run => !!run?.evaluation);
    r.auc.replaceChildren(...evaluated.map((run) => {
      const e = run.evaluation!;
      return html("div", { class: "card", "data-model": run.label },
        html("div", {}, `${run.label}, digit ${run.config.digit}, epoch ${run.weightsEpoch}`),
        html("div", {}, "Protocol 1 AUC ", html("b", {}, e.protocol1.auc.toFixed(4)), `  (${e.protocol1.positives} in / ${e.protocol1.negatives} out)`),
        html("div", {}, "Protocol 2 AUC ", html("b", {}, e.protocol2.auc.toFixed(4)), `  (${e.protocol2.positives} in / ${e.protocol2.negatives} out)`));
    }));
    const roc = (target: SVGSVGElement, run: Run | null, empty: string) => {
      const e = run?.evaluation;
      const series: LineSeries[] = e
        ? [
          { xs: e.protocol1.roc.fpr, ys: e.protocol1.roc.tpr, color: "#1f77b4", name: `Protocol 1, AUC ${e.protocol1.auc.toFixed(3)}` },
          { xs: e.protocol2.roc.fpr, ys: e.protocol2.roc.tpr, color: "#d62728", name: `Protocol 2, AUC ${e.protocol2.auc.toFixed(3)}` },
        ]
        : [];
      drawLineChart(target, series, {
        xRange: [0, 1], yRange: [0, 1], diagonal: true, xLabel: "false-positive rate", yLabel: "true-positive rate", height: 260, empty, maxPoints: 2500,
      });
    };
    r.rocMainCaption.textContent = main ? `ROC curve of ${main.label}` : "ROC curve";
    roc(r.rocMain, main, main ? "evaluated after training" : "train a model first");
    roc(r.rocBaseline, baseline, baseline ? "evaluated after its training" : "tick \"also train the AE baseline\" to compare");
    const digit = main?.config.digit ?? Number(s.form.digit);
    drawBarChart(r.bars, Array.from({ length: 10 }, (_, d) => String(d)),
      evaluated.map((run, i) => ({ name: run.label, color: i === 0 ? "#2457c5" : "#9aa1aa", values: run.evaluation!.perDigitMse })),
      { highlight: digit, yLabel: "mean MSE", xLabel: `test digit (in-class: ${digit})`, width: 640, height: 230 });
  });
}

// ---- checkpoint downloads ----

function downloadsView(el: TrainingPage): View {
  let objectUrls: string[] = [];
  return view((s) => ROLES.flatMap((role) => { const r = runOf(s, role); return [r?.last, r?.best, r?.progress]; }), (s) => {
    for (const url of objectUrls) URL.revokeObjectURL(url);
    objectUrls = [];
    const links: HTMLElement[] = [];
    for (const role of ROLES) {
      const run = runOf(s, role);
      if (!run) continue;
      const c = run.config;
      const stem = `${c.model}-digit${c.digit}-${c.preset}`;
      for (const kind of ["last", "best"] as const) {
        const bytes = run[kind];
        if (!bytes) continue;
        const epoch = kind === "last" ? run.progress.epoch : run.progress.bestEpoch;
        const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
        objectUrls.push(url);
        links.push(html("a", { href: url, download: `${stem}-${kind}.safetensors`, class: `download-${kind}`, "data-model": run.label },
          `Save ${run.label} ${kind}.safetensors (epoch ${epoch}, ${(bytes.length / 1024).toFixed(0)} KB)`));
      }
    }
    el.downloads.replaceChildren(...(links.length ? links : [html("span", { class: "note" }, "None yet: one is written at the end of each epoch.")]));
  });
}

// ---- the latent explorer ----

function explorerView(el: TrainingPage, explorer: LatentExplorer): View {
  const choice = (s: PageState) => {
    const runs = explorerRuns(s);
    return runs[s.explorerChoice] ?? runs[0] ?? null;
  };
  const description = (s: PageState, run: Run | null) => {
    if (!run) return "";
    const training = trainingJob(s);
    const weights = training && runOf(s, training.role) === run ? "the weights as they train" : `weights of epoch ${run.weightsEpoch}`;
    return `${run.label}, digit ${run.config.digit}, ${weights}, latent dimension ${run.config.latent}`;
  };
  const options = view((s) => [explorerRuns(s).map((r) => r.label).join("\n")], (s) => {
    const runs = explorerRuns(s);
    el.explorer.model.replaceChildren(...runs.map((r, i) => html("option", { value: i }, r.label)));
    el.explorer.modelLabel.hidden = runs.length < 2;
  });
  const shown = view((s) => { const run = choice(s); return [run?.model ?? null, description(s, run)]; }, (s) => {
    const run = choice(s);
    explorer.setModel(run?.model ?? null, description(s, run));
  });
  return (s) => {
    options(s);
    const index = String(Math.max(0, explorerRuns(s).indexOf(choice(s)!)));
    if (el.explorer.model.value !== index) el.explorer.model.value = index;
    shown(s);
  };
}

// ---- the computation graph ----

function graphView(el: TrainingPage): { view: View; playBackward(): void } {
  const g = el.graph;
  let shown: { snapshot: GraphSnapshot; drawn: GraphView } | null = null;
  let animation: ReturnType<typeof setTimeout> | null = null;
  const draw = (snapshot: GraphSnapshot) => {
    const drawn = drawGraph(g.svg, snapshot, (node) => {
      g.details.replaceChildren(...describeNode(snapshot, node).map((line) => html("p", {}, line)));
    });
    shown = { snapshot, drawn };
    // Start at the loss (bottom, centre): backward() walks up from there.
    g.scroll.scrollTop = g.scroll.scrollHeight;
    g.scroll.scrollLeft = (g.scroll.scrollWidth - g.scroll.clientWidth) / 2;
    const count = (f: (n: GraphSnapshot["nodes"][number]) => boolean) => snapshot.nodes.filter(f).length;
    const params = count((n) => n.kind === "parameter");
    const trainable = count((n) => n.kind === "parameter" && n.requiresGrad);
    g.summary.textContent = `${snapshot.title}: ${snapshot.nodes.length} tensors — ${count((n) => n.kind === "op")} made by ops, ` +
      `${params} weights (${trainable} trainable, ${params - trainable} frozen), ${count((n) => n.kind === "input")} inputs; backward() visits ${snapshot.backwardSteps}.`;
  };
  const playBackward = () => {
    if (!shown) return;
    if (animation !== null) clearTimeout(animation);
    const { drawn } = shown;
    const total = shown.snapshot.backwardSteps;
    const delay = Math.max(15, Math.min(80, 5000 / total));
    let step = 1;
    const tick = () => {
      drawn.showBackwardStep(step);
      g.summary.dataset.step = String(step);
      if (step++ < total) animation = setTimeout(tick, delay);
      else animation = setTimeout(() => { drawn.showBackwardStep(null); animation = null; }, 1500);
    };
    tick();
  };
  return { view: view((s) => [s.graph], (s) => s.graph && draw(s.graph)), playBackward };
}
