// A dependency-free PNG writer, for sample grids and reconstructions, that runs
// in a page and in Node alike (it only builds bytes).
//
// A PNG is an 8-byte signature and a list of chunks, each
//   length (u32 big-endian) · type (4 ASCII letters) · data · CRC-32(type + data).
// We write IHDR (size, 8-bit depth, grayscale or RGB), one IDAT and IEND. IDAT
// holds a zlib stream of the scanlines, each prefixed by a filter byte (0,
// "None"). The zlib stream uses deflate's *stored* blocks (no compression):
// valid for every decoder, simple to get right, and the images here are small
// (a 10x10 grid of 32x32 digits is about 100 KB).

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** CRC-32 table for the reflected polynomial 0xEDB88320 (PNG, zlib, gzip). */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of `bytes` (as in PNG chunks); pass a previous result as `crc` to continue it. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Adler-32 of `bytes` (the zlib stream checksum). */
export function adler32(bytes: Uint8Array): number {
  const MOD = 65521;
  let a = 1;
  let b = 0;
  // Reduce modulo 65521 every 5552 bytes (zlib's bound, the longest run that
  // keeps b below 2^32), so the sums stay small integers and the loop fast.
  for (let start = 0; start < bytes.length; start += 5552) {
    const end = Math.min(start + 5552, bytes.length);
    for (let i = start; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}

/** Wraps `data` in a zlib stream of stored (uncompressed) deflate blocks. */
export function zlibStored(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const MAX_BLOCK = 65535; // a stored block's length field is 16 bits
  const blocks = Math.max(1, Math.ceil(data.length / MAX_BLOCK));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  // CMF 0x78: deflate, 32 KB window. FLG 0x01: no preset dictionary, lowest
  // level, and (0x78 * 256 + 0x01) % 31 === 0 as the format requires.
  out[0] = 0x78;
  out[1] = 0x01;
  let at = 2;
  for (let i = 0; i < blocks; i++) {
    const start = i * MAX_BLOCK;
    const length = Math.min(MAX_BLOCK, data.length - start);
    out[at++] = i === blocks - 1 ? 1 : 0; // BFINAL bit, BTYPE 00 (stored)
    out[at++] = length & 0xff; // LEN, little-endian
    out[at++] = length >>> 8;
    out[at++] = ~length & 0xff; // NLEN, its one's complement
    out[at++] = (~length >>> 8) & 0xff;
    out.set(data.subarray(start, start + length), at);
    at += length;
  }
  new DataView(out.buffer).setUint32(at, adler32(data), false);
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, false);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)), false);
  return out;
}

export interface Image8 {
  /** Row-major pixels, `channels` bytes each. */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** 1 = grayscale, 3 = RGB. */
  channels: 1 | 3;
}

/** Encodes an 8-bit grayscale or RGB image as PNG bytes (deflate "stored" blocks: no compression). */
export function encodePng(image: Image8): Uint8Array<ArrayBuffer> {
  return assemblePng(image, zlibStored(filteredRows(image)));
}

/**
 * The same PNG, deflate-compressed with the host's CompressionStream (pages and
 * Node 18+ both have it; a plot or a digit grid shrinks about tenfold). Falls
 * back to stored blocks where there is none.
 */
export async function encodePngCompressed(image: Image8): Promise<Uint8Array<ArrayBuffer>> {
  const raw = filteredRows(image);
  if (typeof CompressionStream === "undefined") return assemblePng(image, zlibStored(raw));
  const stream = new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate"));
  return assemblePng(image, new Uint8Array(await new Response(stream).arrayBuffer()));
}

/** Checks the image and lays out its rows, each behind filter byte 0 (None). */
function filteredRows({ pixels, width, height, channels }: Image8): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 2 ** 31 - 1 || height > 2 ** 31 - 1) {
    throw new RangeError(`encodePng: size ${width}x${height} is not a valid PNG size`);
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`encodePng: channels must be 1 or 3, got ${channels}`);
  const rowBytes = width * channels;
  if (pixels.length !== rowBytes * height) {
    throw new RangeError(`encodePng: ${width}x${height}x${channels} needs ${rowBytes * height} bytes, got ${pixels.length}`);
  }
  const raw = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (rowBytes + 1)] = 0; // filter type None
    raw.set(pixels.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  }
  return raw;
}

/** Signature, IHDR, one IDAT holding the zlib stream, IEND. */
function assemblePng({ width, height, channels }: Image8, zlibData: Uint8Array): Uint8Array<ArrayBuffer> {
  const ihdr = new Uint8Array(13);
  const ihdrView = new DataView(ihdr.buffer);
  ihdrView.setUint32(0, width, false);
  ihdrView.setUint32(4, height, false);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2; // colour type: 0 grayscale, 2 truecolour
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const parts = [SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", zlibData), chunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface GridOptions {
  /** Pixels between tiles and around the edge. Default 2. */
  padding?: number;
  /** Gray level (0-255) of the padding. Default 128, so black tile borders stay visible. */
  background?: number;
}

/**
 * Tiles `n` single-channel images of h x w, values in [-1, 1] (the model's
 * scale; clamped), into one grayscale picture with `cols` tiles per row.
 * @param images n*h*w values, image after image, row-major (NCHW with C = 1).
 */
export function imageGrid(images: Float32Array, n: number, h: number, w: number, cols: number, options: GridOptions = {}): Image8 {
  const padding = options.padding ?? 2;
  const background = options.background ?? 128;
  for (const [name, v] of [["n", n], ["h", h], ["w", w], ["cols", cols]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`imageGrid: ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`imageGrid: padding must be a non-negative integer, got ${padding}`);
  if (images.length !== n * h * w) throw new RangeError(`imageGrid: ${n} images of ${h}x${w} need ${n * h * w} values, got ${images.length}`);
  const columns = Math.min(cols, n);
  const rows = Math.ceil(n / columns);
  const width = columns * (w + padding) + padding;
  const height = rows * (h + padding) + padding;
  const pixels = new Uint8Array(width * height).fill(background);
  for (let i = 0; i < n; i++) {
    const top = padding + Math.floor(i / columns) * (h + padding);
    const left = padding + (i % columns) * (w + padding);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = images[(i * h + y) * w + x];
        // NaN (a diverged model) shows as mid-gray rather than black.
        const unit = Number.isNaN(v) ? 0.5 : (Math.min(1, Math.max(-1, v)) + 1) / 2;
        pixels[(top + y) * width + left + x] = Math.round(unit * 255);
      }
    }
  }
  return { pixels, width, height, channels: 1 };
}
