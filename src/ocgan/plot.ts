// Line charts rasterised to RGB pixels (for PNG figures), with no dependency
// and no host API: axes, a light grid, and one polyline per series. Titles,
// tick values and legends are written by the HTML around the picture.
import type { Image8 } from "./png.js";

export interface Series {
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  color: [number, number, number];
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
export const PALETTE: [number, number, number][] = [
  [31, 119, 180], [214, 39, 40], [44, 160, 44], [255, 127, 14], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127],
];

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
  const margin = 8;
  const pixels = new Uint8Array(width * height * 3).fill(255);
  const [x0, x1] = options.xRange ?? range(series.map((s) => s.xs), [0, 1]);
  const [y0, y1] = options.yRange ?? range(series.map((s) => s.ys), [0, 1]);
  const px = (x: number) => margin + ((x - x0) / (x1 - x0)) * (width - 2 * margin - 1);
  const py = (y: number) => height - 1 - margin - ((y - y0) / (y1 - y0)) * (height - 2 * margin - 1);

  const set = (x: number, y: number, [r, g, b]: [number, number, number]) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= width || yi >= height) return;
    const at = (yi * width + xi) * 3;
    pixels[at] = r;
    pixels[at + 1] = g;
    pixels[at + 2] = b;
  };
  const line = (ax: number, ay: number, bx: number, by: number, color: [number, number, number]) => {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(bx - ax), Math.abs(by - ay))));
    for (let s = 0; s <= steps; s++) set(ax + ((bx - ax) * s) / steps, ay + ((by - ay) * s) / steps, color);
  };

  const grid: [number, number, number] = [225, 225, 225];
  for (let k = 0; k <= 4; k++) {
    const gx = margin + (k / 4) * (width - 2 * margin - 1);
    const gy = margin + (k / 4) * (height - 2 * margin - 1);
    line(gx, margin, gx, height - 1 - margin, grid);
    line(margin, gy, width - 1 - margin, gy, grid);
  }
  const axis: [number, number, number] = [60, 60, 60];
  line(margin, height - 1 - margin, width - 1 - margin, height - 1 - margin, axis);
  line(margin, margin, margin, height - 1 - margin, axis);
  if (options.diagonal) line(px(x0), py(y0), px(x1), py(y1), [170, 170, 170]);

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
