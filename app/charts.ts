// SVG charts for the app, drawn from scratch: line charts (losses, ROC) and
// grouped bar charts (reconstruction error per digit). Each call redraws the
// whole <svg>; `data-points` / `data-bars` on it count what was drawn.
import { svg, svgText, num } from "./dom.js";

export interface LineSeries {
  /** Shown in the legend; series without a name are left out of it. */
  name?: string;
  color: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  strokeWidth?: number;
  opacity?: number;
  dash?: string;
}

export interface LineChartOptions {
  width?: number;
  height?: number;
  xRange?: [number, number];
  yRange?: [number, number];
  xLabel?: string;
  yLabel?: string;
  /** The y = x diagonal (chance level of a ROC curve). */
  diagonal?: boolean;
  /** Shown in the middle when no series has points. */
  empty?: string;
  /** At most this many points per series are drawn (longer series are averaged in buckets). */
  maxPoints?: number;
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

function extent(values: ArrayLike<number>[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    for (let i = 0; i < v.length; i++) {
      if (Number.isFinite(v[i])) {
        lo = Math.min(lo, v[i]);
        hi = Math.max(hi, v[i]);
      }
    }
  }
  if (!(lo <= hi)) return null;
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

/** The series' points, averaged in equal buckets when there are more than `max`. */
function decimate(xs: ArrayLike<number>, ys: ArrayLike<number>, max: number): [number, number][] {
  const n = Math.min(xs.length, ys.length);
  if (n <= max) return Array.from({ length: n }, (_, i) => [xs[i], ys[i]]);
  const out: [number, number][] = [];
  for (let b = 0; b < max; b++) {
    const start = Math.floor((b * n) / max);
    const end = Math.floor(((b + 1) * n) / max);
    let sx = 0;
    let sy = 0;
    for (let i = start; i < end; i++) {
      sx += xs[i];
      sy += ys[i];
    }
    out.push([sx / (end - start), sy / (end - start)]);
  }
  return out;
}

export function drawLineChart(target: SVGSVGElement, series: LineSeries[], options: LineChartOptions = {}): void {
  const width = options.width ?? 360;
  const height = options.height ?? 200;
  const named = series.filter((s) => s.name);
  const margin = { left: 46, right: 10, top: named.length ? 22 : 8, bottom: options.xLabel ? 34 : 22 };
  target.replaceChildren();
  target.setAttribute("viewBox", `0 0 ${width} ${height}`);
  target.setAttribute("class", "chart");
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const xr = options.xRange ?? extent(series.map((s) => s.xs)) ?? [0, 1];
  const yr = options.yRange ?? extent(series.map((s) => s.ys)) ?? [0, 1];
  const X = (v: number) => margin.left + ((v - xr[0]) / (xr[1] - xr[0] || 1)) * plotW;
  const Y = (v: number) => margin.top + plotH - ((v - yr[0]) / (yr[1] - yr[0] || 1)) * plotH;

  const axes = svg("g", { class: "axes" }, target);
  for (const t of niceTicks(yr[0], yr[1], 4)) {
    svg("line", { x1: margin.left, x2: margin.left + plotW, y1: Y(t), y2: Y(t), class: "grid" }, axes);
    svgText(num(t), { x: margin.left - 4, y: Y(t) + 3.5, "text-anchor": "end" }, axes);
  }
  for (const t of niceTicks(xr[0], xr[1], 5)) {
    svg("line", { x1: X(t), x2: X(t), y1: margin.top + plotH, y2: margin.top + plotH + 3, class: "tick" }, axes);
    svgText(num(t), { x: X(t), y: margin.top + plotH + 13, "text-anchor": "middle" }, axes);
  }
  svg("rect", { x: margin.left, y: margin.top, width: plotW, height: plotH, class: "frame" }, axes);
  if (options.xLabel) svgText(options.xLabel, { x: margin.left + plotW / 2, y: height - 4, "text-anchor": "middle", class: "label" }, axes);
  if (options.yLabel) {
    svgText(options.yLabel, { x: 10, y: margin.top + plotH / 2, "text-anchor": "middle", class: "label", transform: `rotate(-90 10 ${margin.top + plotH / 2})` }, axes);
  }
  if (options.diagonal) svg("line", { x1: X(0), y1: Y(0), x2: X(1), y2: Y(1), class: "diagonal" }, axes);

  const clip = `clip-${Math.random().toString(36).slice(2)}`;
  const defs = svg("defs", {}, target);
  svg("rect", { x: margin.left, y: margin.top, width: plotW, height: plotH }, svg("clipPath", { id: clip }, defs));
  const lines = svg("g", { "clip-path": `url(#${clip})` }, target);
  let points = 0;
  for (const s of series) {
    const pts = decimate(s.xs, s.ys, options.maxPoints ?? 600).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 0) continue;
    points += pts.length;
    const d = pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ");
    svg("polyline", {
      points: pts.length === 1 ? `${d} ${d}` : d, fill: "none", stroke: s.color, "stroke-width": s.strokeWidth ?? 1.5,
      "stroke-opacity": s.opacity ?? 1, "stroke-dasharray": s.dash, "stroke-linejoin": "round",
    }, lines);
  }
  target.dataset.points = String(points);
  if (points === 0 && options.empty) {
    svgText(options.empty, { x: margin.left + plotW / 2, y: margin.top + plotH / 2, "text-anchor": "middle", class: "empty" }, target);
  }

  let lx = 8;
  for (const s of named) {
    svg("rect", { x: lx, y: 6, width: 10, height: 10, fill: s.color }, target);
    svgText(s.name!, { x: lx + 13, y: 15, class: "legend" }, target);
    lx += 20 + 5.6 * s.name!.length;
  }
}

export interface BarSeries {
  name: string;
  color: string;
  values: number[];
}

/** Grouped bars: one group per category, one bar per series; `highlight` marks a category. */
export function drawBarChart(
  target: SVGSVGElement,
  categories: string[],
  series: BarSeries[],
  options: { width?: number; height?: number; yLabel?: string; xLabel?: string; highlight?: number } = {},
): void {
  const width = options.width ?? 420;
  const height = options.height ?? 220;
  const margin = { left: 50, right: 10, top: 22, bottom: options.xLabel ? 34 : 22 };
  target.replaceChildren();
  target.setAttribute("viewBox", `0 0 ${width} ${height}`);
  target.setAttribute("class", "chart");
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const top = Math.max(...all, 0) * 1.05 || 1;
  const Y = (v: number) => margin.top + plotH - (v / top) * plotH;
  const axes = svg("g", { class: "axes" }, target);
  for (const t of niceTicks(0, top, 4)) {
    svg("line", { x1: margin.left, x2: margin.left + plotW, y1: Y(t), y2: Y(t), class: "grid" }, axes);
    svgText(num(t), { x: margin.left - 4, y: Y(t) + 3.5, "text-anchor": "end" }, axes);
  }
  const groupW = plotW / categories.length;
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  let bars = 0;
  categories.forEach((category, c) => {
    const gx = margin.left + c * groupW;
    if (c === options.highlight) svg("rect", { x: gx, y: margin.top, width: groupW, height: plotH, class: "highlight" }, axes);
    series.forEach((s, k) => {
      const v = s.values[c];
      if (!Number.isFinite(v)) return;
      const bar = svg("rect", { x: gx + groupW * 0.1 + k * barW, y: Y(v), width: barW - 1, height: Y(0) - Y(v), fill: s.color, class: "bar" }, target);
      svg("title", {}, bar).textContent = `${s.name}, digit ${category}: ${num(v)}`;
      bars++;
    });
    svgText(category, { x: gx + groupW / 2, y: margin.top + plotH + 13, "text-anchor": "middle", class: c === options.highlight ? "strong" : "" }, axes);
  });
  svg("line", { x1: margin.left, x2: margin.left + plotW, y1: Y(0), y2: Y(0), class: "baseline" }, axes);
  if (options.xLabel) svgText(options.xLabel, { x: margin.left + plotW / 2, y: height - 4, "text-anchor": "middle", class: "label" }, axes);
  if (options.yLabel) {
    svgText(options.yLabel, { x: 10, y: margin.top + plotH / 2, "text-anchor": "middle", class: "label", transform: `rotate(-90 10 ${margin.top + plotH / 2})` }, axes);
  }
  let lx = margin.left;
  for (const s of series) {
    svg("rect", { x: lx, y: 6, width: 10, height: 10, fill: s.color }, target);
    svgText(s.name, { x: lx + 13, y: 15, class: "legend" }, target);
    lx += 24 + 6.2 * s.name.length;
  }
  target.dataset.bars = String(bars);
}
