// Small DOM helpers for the app: look elements up by id, make HTML and SVG
// elements with attributes, format numbers and durations; and the table of
// the training page's elements (trainingPageElements), the one place that
// names their ids.
import type { ExplorerElements } from "./explorer.js";

const SVG_NS = "http://www.w3.org/2000/svg";

type ElementType<T extends Element> = abstract new (...args: never[]) => T;

/**
 * The element with this id, of `type` when given; throws when the page lacks
 * it or it is of another type (a mismatch between index.html and the code).
 */
export function byId<T extends Element = HTMLElement>(id: string, type?: ElementType<T>): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no element #${id}`);
  if (type && !(element instanceof type)) throw new Error(`#${id} is a <${element.tagName.toLowerCase()}>, not the ${type.name} the code expects`);
  return element as unknown as T;
}

/** The first element matching `selector`, as byId checks it. */
function bySelector<T extends Element>(selector: string, type: ElementType<T>): T {
  const element = document.querySelector(selector);
  if (!(element instanceof type)) throw new Error(`index.html has no ${type.name} matching ${selector}`);
  return element;
}

type Attributes = Record<string, string | number | boolean | null | undefined>;

function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
}

/** An HTML element with attributes and children (strings become text). */
export function html<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  element.append(...children);
  return element;
}

/** An SVG element with attributes, appended to `parent` when given. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Attributes = {}, parent?: Element): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  setAttributes(element, attributes);
  parent?.append(element);
  return element;
}

/** An SVG <text> with its content. */
export function svgText(content: string, attributes: Attributes, parent?: Element): SVGTextElement {
  const t = svg("text", attributes, parent);
  t.textContent = content;
  return t;
}

/** 0:07, 3:05, 1:02:03 */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** A number with about 4 significant digits, for losses and errors. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return v.toPrecision(4).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
}

/** Resolves on the next turn of the event loop, so clicks and painting get their turn. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Every element of the training page (index.html) that app/main.ts and its
 * views touch, looked up once, each checked for its type.
 */
export function trainingPageElements() {
  const input = (id: string) => byId(id, HTMLInputElement);
  const select = (id: string) => byId(id, HTMLSelectElement);
  const button = (id: string) => byId(id, HTMLButtonElement);
  const canvas = (id: string) => byId(id, HTMLCanvasElement);
  const chart = (id: string) => byId(id, SVGSVGElement);
  const explorer: ExplorerElements = {
    sliders: byId("sliders"),
    image: canvas("latent-image"),
    score: byId("latent-score"),
    sweep: canvas("latent-sweep"),
    dimA: select("dim-a"),
    dimB: select("dim-b"),
    randomPoint: button("random-point"),
    walk: button("walk"),
    zero: button("zero"),
    note: byId("explorer-note"),
  };
  return {
    sections: { loading: byId("loading"), app: byId("app"), noWebGpu: byId("no-webgpu"), noWebGpuReason: byId("no-webgpu-reason") },
    adapter: byId("adapter"),
    controls: {
      digit: select("digit"), model: select("model"), preset: select("preset"), presetNote: byId("preset-note"),
      epochs: input("epochs"), patience: input("patience"), batch: input("batch"), seed: input("seed"),
      baseline: input("baseline"), refresh: input("refresh"),
    },
    buttons: { start: button("start"), pause: button("pause"), stop: button("stop"), evaluate: button("evaluate") },
    status: {
      phase: byId("phase"), message: byId("message"),
      epoch: byId("s-epoch"), iteration: byId("s-iteration"), elapsed: byId("s-elapsed"),
      left: byId("s-left"), throughput: byId("s-throughput"), validation: byId("s-validation"),
    },
    downloads: byId("downloads"),
    load: input("load"),
    lossCharts: { classifier: chart("chart-classifier"), latent: chart("chart-latent"), visual: chart("chart-visual"), generator: chart("chart-generator") },
    figures: {
      caption: byId("figures-caption"), minedCaption: byId("mined-caption"),
      inClass: canvas("grid-in"), outClass: canvas("grid-out"), random: canvas("grid-random"), mined: canvas("grid-mined"),
    },
    results: { auc: byId("auc"), rocMainCaption: byId("roc-main-caption"), rocMain: chart("roc-main"), rocBaseline: chart("roc-baseline"), bars: chart("bars") },
    explorer: { ...explorer, model: select("explorer-model"), modelLabel: byId("explorer-model-label") },
    graph: {
      capture: button("capture"), playBackward: button("play-backward"), summary: byId("graph-summary"),
      scroll: byId("graph-scroll"), svg: chart("graph-svg"), details: byId("node-details"), netsLegend: bySelector("#graph .legend.nets", HTMLElement),
    },
  };
}

export type TrainingPage = ReturnType<typeof trainingPageElements>;
