// The report's line charts: tick values on both axes, in the 3x5 bitmap font.
import { test, assert } from "./harness.js";
import { lineChart, niceTicks, formatTick, AXIS_COLOR, FONT_SCALE } from "../src/io/plot.js";
import type { Image8 } from "../src/io/png.js";

/** The glyphs as a reader sees them ('#' = ink), written out here independently of plot.ts's table. */
const GLYPHS: Record<string, string[]> = {
  "0": ["###", "#.#", "#.#", "#.#", "###"],
  "1": [".#.", "##.", ".#.", ".#.", "###"],
  "2": ["###", "..#", "###", "#..", "###"],
  "4": ["#.#", "#.#", "###", "..#", "..#"],
  "5": ["###", "#..", "###", "..#", "###"],
  "6": ["###", "#..", "###", "#.#", "###"],
  "8": ["###", "#.#", "###", "#.#", "###"],
  ".": [".", ".", ".", ".", "#"],
};

/** The ink mask of `text` at the chart's scale, one font pixel between glyphs. */
function mask(text: string): boolean[][] {
  const rows = Array.from({ length: 5 }, (_, r) => [...text].map((c) => GLYPHS[c][r]).join("."));
  return Array.from({ length: 5 * FONT_SCALE }, (_, y) => [...rows[Math.floor(y / FONT_SCALE)]].flatMap((c) => Array(FONT_SCALE).fill(c === "#")));
}

/** Top-left corners where `text` is drawn: axis-coloured pixels exactly where its glyphs have ink, none between. */
function findText(image: Image8, text: string): [number, number][] {
  const m = mask(text);
  const isInk = (x: number, y: number) => {
    const at = (y * image.width + x) * 3;
    return AXIS_COLOR.every((v, k) => image.pixels[at + k] === v);
  };
  const found: [number, number][] = [];
  for (let y = 0; y + m.length <= image.height; y++) {
    for (let x = 0; x + m[0].length <= image.width; x++) {
      if (m.every((row, dy) => row.every((ink, dx) => isInk(x + dx, y + dy) === ink))) found.push([x, y]);
    }
  }
  return found;
}

const labels = (lo: number, hi: number) => {
  const { values, step } = niceTicks(lo, hi);
  return values.map((v) => formatTick(v, step)).join(" ");
};

test("plot: tick values fall on round steps and print with the decimals the step needs", () => {
  const cases: [number, number, string][] = [
    [0, 1, "0.0 0.2 0.4 0.6 0.8 1.0"],
    [0.05, 2.3, "0.5 1.0 1.5 2.0"],
    [1, 210, "50 100 150 200"],
    [-3, 3, "-2 0 2"],
    [1e-5, 3.1e-5, "1e-5 1.5e-5 2e-5 2.5e-5 3e-5"],
    [0, 2e6, "0 5e5 1e6 1.5e6 2e6"],
    [0.118, 0.163, "0.12 0.13 0.14 0.15 0.16"],
  ];
  for (const [lo, hi, expected] of cases) assert(labels(lo, hi) === expected, `[${lo}, ${hi}]: "${labels(lo, hi)}", expected "${expected}"`);
  assert(labels(1, 1) === "", "a range with no span has no ticks");
});

test("plot: an ROC chart shows 0.0 to 1.0 on both axes, left of the y axis and below the x axis", () => {
  const xs = Array.from({ length: 11 }, (_, i) => i / 10);
  const image = lineChart([{ xs, ys: xs.map(Math.sqrt), color: [31, 119, 180] }], { xRange: [0, 1], yRange: [0, 1], diagonal: true, width: 300, height: 300 });
  const yLabels: number[] = [];
  const xLabels: number[] = [];
  for (const text of ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]) {
    const at = findText(image, text);
    const onX = at.filter(([, y]) => y > 280); // the bottom margin
    const onY = at.filter(([x, y]) => x < 20 && y <= 280); // the left margin
    assert(at.length === 2 && onX.length === 1 && onY.length === 1, `"${text}" is drawn at ${JSON.stringify(at)}: expected once left of the y axis and once below the x axis`);
    yLabels.push(onY[0][1]);
    xLabels.push(onX[0][0]);
  }
  assert(yLabels.every((y, i) => i === 0 || y < yLabels[i - 1]), `the y values go up the axis: rows ${yLabels}`);
  assert(xLabels.every((x, i) => i === 0 || x > xLabels[i - 1]), `the x values go along the axis: columns ${xLabels}`);
});

test("plot: a loss chart labels a loss of 10 and of 0.1 apart", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  const large = lineChart([{ xs, ys: xs.map((i) => 10 - i / 20), color: [214, 39, 40] }], { yRange: [0, 10] });
  const leftMargin = (image: Image8, text: string) => findText(image, text).filter(([x]) => x < 30);
  for (const text of ["0", "2", "4", "6", "8", "10"]) assert(leftMargin(large, text).length >= 1, `the chart of losses up to 10 shows "${text}" on its y axis`);
  for (const text of ["20", "40", "60", "80", "100"]) assert(findText(large, text).some(([, y]) => y > 280), `and "${text}" on its x axis`);
  const small = lineChart([{ xs, ys: xs.map((i) => 0.1 + i / 2000), color: [214, 39, 40] }]);
  for (const text of ["0.12", "0.14"]) assert(leftMargin(small, text).length === 1, `the chart of losses near 0.1 shows "${text}" on its y axis`);
  assert(leftMargin(small, "10").length === 0, "and no 10 there");
});
