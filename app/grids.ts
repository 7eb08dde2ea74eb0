// Image grids on <canvas>: the same tiling as the command line's PNG figures
// (src/io/png.ts imageGrid), painted with putImageData and scaled up by CSS
// with pixelated rendering. `data-refreshes` on the canvas counts repaints.
import { imageGrid } from "../src/io/png.js";

/** Paints `n` 32x32 images (values in [-1, 1]) into `canvas`, `cols` per row; `scale` sets its CSS width (null: the stylesheet's). */
export function paintGrid(canvas: HTMLCanvasElement, images: Float32Array, n: number, cols: number, scale: number | null = 2): void {
  const image = imageGrid(images, n, 32, 32, cols, { padding: 2, background: 110 });
  canvas.width = image.width;
  canvas.height = image.height;
  if (scale !== null) canvas.style.width = `${image.width * scale}px`;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("canvas 2d context unavailable");
  const data = ctx.createImageData(image.width, image.height);
  for (let i = 0; i < image.width * image.height; i++) {
    const v = image.pixels[i];
    data.data[4 * i] = v;
    data.data[4 * i + 1] = v;
    data.data[4 * i + 2] = v;
    data.data[4 * i + 3] = 255;
  }
  ctx.putImageData(data, 0, 0);
  canvas.dataset.refreshes = String(Number(canvas.dataset.refreshes ?? 0) + 1);
}

/** Rows of `cols` images taken alternately from `a` and `b` (an input row, then its reconstruction row, ...). */
export function interleaveRows(a: Float32Array, b: Float32Array, n: number, cols: number): Float32Array {
  const px = 32 * 32;
  const out = new Float32Array(2 * n * px);
  for (let row = 0; row * cols < n; row++) {
    const start = row * cols;
    const count = Math.min(cols, n - start);
    out.set(a.subarray(start * px, (start + count) * px), 2 * start * px);
    out.set(b.subarray(start * px, (start + count) * px), (2 * start + count) * px);
  }
  return out;
}
