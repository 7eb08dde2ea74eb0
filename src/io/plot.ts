// Line charts rasterised to RGB pixels (for PNG figures), with no dependency
// and no host API: axes with their tick values, a light grid at the ticks, and
// one polyline per series. Titles and legends are written by the HTML around
// the picture; the tick values are drawn here, with a 3x5 bitmap font that
// has just what a number needs.
import type { Image8 } from "./png.js";

type Rgb = [number, number, number];

export interface Series {
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  color: Rgb;
}

export interface ChartOptions {
  width?: number;
  height?: number;
  xRange?: [number, number];
  yRange?: [number, number];
  /** Draws the y = x diagonal (ROC charts). */
  diagonal?: boolean;
}

/** Colours for up to eight series, readable on white. */
export const PALETTE: Rgb[] = [
  [31, 119, 180], [214, 39, 40], [44, 160, 44], [255, 127, 14], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127],
];

/** Axes, tick marks and tick values. */
export const AXIS_COLOR: Rgb = [60, 60, 60];
const GRID_COLOR: Rgb = [225, 225, 225];
const DIAGONAL_COLOR: Rgb = [170, 170, 170];

/** The glyphs of tick values, row by row from the top ('#' = ink); a glyph is as wide as its rows. */
export const FONT: Record<string, string[]> = {
  "0": ["###", "#.#", "#.#", "#.#", "###"],
  "1": [".#.", "##.", ".#.", ".#.", "###"],
  "2": ["###", "..#", "###", "#..", "###"],
  "3": ["###", "..#", "###", "..#", "###"],
  "4": ["#.#", "#.#", "###", "..#", "..#"],
  "5": ["###", "#..", "###", "..#", "###"],
  "6": ["###", "#..", "###", "#.#", "###"],
  "7": ["###", "..#", "..#", "..#", "..#"],
  "8": ["###", "#.#", "###", "#.#", "###"],
  "9": ["###", "#.#", "###", "..#", "###"],
  ".": [".", ".", ".", ".", "#"],
  "-": ["...", "...", "###", "...", "..."],
  "e": [".#.", "#.#", "###", "#..", ".##"],
};
/** Each font pixel is drawn as a square of this many pixels, one font pixel apart. */
export const FONT_SCALE = 2;
const TEXT_HEIGHT = 5 * FONT_SCALE;

export function textWidth(text: string): number {
  let columns = 0;
  for (const c of text) columns += FONT[c][0].length + 1;
  return Math.max(0, columns - 1) * FONT_SCALE;
}

/** Tick values at a round step (1, 2 or 5 times a power of ten) giving about `count` of them within [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): { values: number[]; step: number } {
  if (!(hi > lo) || !Number.isFinite(hi - lo)) return { values: [], step: 1 }; // no span to divide
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9))!;
  const values: number[] = [];
  // Multiples of the step (k * step, not a running sum, so no error builds up).
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) values.push(k * step);
  return { values, step };
}

/** A tick value as text: as many decimals as the step needs, or a power of ten ("2e-5") for very small or large ones. */
export function formatTick(value: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  if (value !== 0 && (decimals > 3 || Math.abs(value) >= 1e5)) {
    return Number(value.toPrecision(3)).toExponential().replace("e+", "e");
  }
  return value.toFixed(decimals);
}

function range(values: ArrayLike<number>[], fallback: [number, number]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) { lo = Math.min(lo, v[i]); hi = Math.max(hi, v[i]); }
  if (!(lo <= hi)) return fallback;
  if (lo === hi) return [lo - 1, hi + 1];
  return [lo, hi];
}

export function lineChart(series: Series[], options: ChartOptions = {}): Image8 {
  const width = options.width ?? 480;
  const height = options.height ?? 300;
  const pixels = new Uint8Array(width * height * 3).fill(255);
  const [x0, x1] = options.xRange ?? range(series.map((s) => s.xs), [0, 1]);
  const [y0, y1] = options.yRange ?? range(series.map((s) => s.ys), [0, 1]);
  const label = (ticks: { values: number[]; step: number }) => ticks.values.map((v) => ({ v, text: formatTick(v, ticks.step) }));
  const xTicks = label(niceTicks(x0, x1));
  const yTicks = label(niceTicks(y0, y1));

  // The plot area leaves room for the values: left of the y axis, below the x
  // axis, and half the last x value's width on the right.
  const TICK = 3;
  const GAP = 3;
  const left = Math.max(8, ...yTicks.map((t) => textWidth(t.text))) + TICK + GAP;
  const right = Math.max(8, Math.ceil(textWidth(xTicks[xTicks.length - 1]?.text ?? "") / 2) + 2);
  const top = 8;
  const bottom = TEXT_HEIGHT + TICK + GAP + 4;
  const px = (x: number) => left + ((x - x0) / (x1 - x0)) * (width - left - right - 1);
  const py = (y: number) => height - 1 - bottom - ((y - y0) / (y1 - y0)) * (height - top - bottom - 1);
  const xAxis = height - 1 - bottom;

  const set = (x: number, y: number, [r, g, b]: Rgb) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= width || yi >= height) return;
    const at = (yi * width + xi) * 3;
    pixels[at] = r;
    pixels[at + 1] = g;
    pixels[at + 2] = b;
  };
  const line = (ax: number, ay: number, bx: number, by: number, color: Rgb) => {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(bx - ax), Math.abs(by - ay))));
    for (let s = 0; s <= steps; s++) set(ax + ((bx - ax) * s) / steps, ay + ((by - ay) * s) / steps, color);
  };
  /** `text` with its top-left corner at (x, y), kept inside the picture. */
  const write = (text: string, x: number, y: number) => {
    let cx = Math.round(Math.min(Math.max(x, 0), width - textWidth(text)));
    const cy = Math.round(y);
    for (const c of text) {
      const glyph = FONT[c];
      for (let row = 0; row < TEXT_HEIGHT; row++) {
        for (let col = 0; col < glyph[0].length * FONT_SCALE; col++) {
          if (glyph[Math.floor(row / FONT_SCALE)][Math.floor(col / FONT_SCALE)] === "#") set(cx + col, cy + row, AXIS_COLOR);
        }
      }
      cx += (glyph[0].length + 1) * FONT_SCALE;
    }
  };

  for (const { v } of xTicks) line(px(v), top, px(v), xAxis, GRID_COLOR);
  for (const { v } of yTicks) line(left, py(v), width - 1 - right, py(v), GRID_COLOR);
  line(left, xAxis, width - 1 - right, xAxis, AXIS_COLOR);
  line(left, top, left, xAxis, AXIS_COLOR);
  for (const { v, text } of xTicks) {
    line(px(v), xAxis, px(v), xAxis + TICK, AXIS_COLOR);
    write(text, px(v) - textWidth(text) / 2, xAxis + TICK + GAP);
  }
  for (const { v, text } of yTicks) {
    line(left - TICK, py(v), left, py(v), AXIS_COLOR);
    write(text, left - TICK - GAP - textWidth(text), py(v) - TEXT_HEIGHT / 2);
  }
  if (options.diagonal) line(px(x0), py(y0), px(x1), py(y1), DIAGONAL_COLOR);

  for (const s of series) {
    let previous: [number, number] | null = null;
    for (let i = 0; i < s.xs.length; i++) {
      const x = s.xs[i];
      const y = s.ys[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        previous = null;
        continue;
      }
      const point: [number, number] = [px(x), py(Math.min(Math.max(y, y0), y1))];
      if (previous) {
        line(previous[0], previous[1], point[0], point[1], s.color);
        line(previous[0], previous[1] + 1, point[0], point[1] + 1, s.color); // two pixels thick
      }
      previous = point;
    }
  }
  return { pixels, width, height, channels: 3 };
}
