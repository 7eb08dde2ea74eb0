// src/io/png.ts: checksums of known inputs, the zlib and PNG layout, the
// browser's own decoder reading our files back, and imageGrid's tiling.
import { test, assert, assertClose } from "./harness.js";
import { crc32, adler32, zlibStored, encodePng, encodePngCompressed, imageGrid, type Image8 } from "../src/io/png.js";

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

/** The chunks of a PNG: type, data, and whether the stored CRC matches. */
function chunks(png: Uint8Array) {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: { type: string; data: Uint8Array; crcOk: boolean }[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at, false);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    const crcOk = view.getUint32(at + 8 + length, false) === crc32(png.subarray(at + 4, at + 8 + length));
    out.push({ type, data, crcOk });
    at += 12 + length;
  }
  return out;
}

/** Reads back a zlib stream made only of stored blocks, checking every field. */
function unstore(z: Uint8Array): Uint8Array {
  assert(z[0] === 0x78 && ((z[0] << 8) | z[1]) % 31 === 0, "zlib header");
  const parts: Uint8Array[] = [];
  let at = 2;
  for (;;) {
    const bfinal = z[at] & 1;
    assert(z[at] >> 1 === 0, "stored block type");
    const len = z[at + 1] | (z[at + 2] << 8);
    const nlen = z[at + 3] | (z[at + 4] << 8);
    assert((len ^ 0xffff) === nlen, "NLEN is the complement of LEN");
    parts.push(z.subarray(at + 5, at + 5 + len));
    at += 5 + len;
    if (bfinal) break;
  }
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) {
    data.set(p, k);
    k += p.length;
  }
  const adler = new DataView(z.buffer, z.byteOffset + at, 4).getUint32(0, false);
  assert(adler === adler32(data), "Adler-32 trailer");
  assert(at + 4 === z.length, "nothing after the trailer");
  return data;
}

test("png: CRC-32 and Adler-32 of known inputs", () => {
  assert(crc32(ascii("123456789")) === 0xcbf43926, `crc32("123456789") = ${hex(crc32(ascii("123456789")))}`);
  assert(crc32(new Uint8Array(0)) === 0, "crc32 of nothing");
  assert(crc32(ascii("IEND")) === 0xae426082, "crc32 of IEND, as in every PNG");
  assert(crc32(ascii("56789"), crc32(ascii("1234"))) === 0xcbf43926, "crc32 continues across calls");
  assert(adler32(ascii("Wikipedia")) === 0x11e60398, `adler32("Wikipedia") = ${hex(adler32(ascii("Wikipedia")))}`);
  assert(adler32(new Uint8Array(0)) === 1, "adler32 of nothing");
  // Long input: the modulo is taken every 5552 bytes; compare with taking it every byte.
  const long = new Uint8Array(100_003).map((_, i) => (i * 7 + 255) & 0xff);
  let a = 1;
  let b = 0;
  for (const byte of long) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  assert(adler32(long) === (((b << 16) | a) >>> 0), "adler32 of 100 KB matches the per-byte definition");
});

test("png: zlib stored blocks, one and several", () => {
  const small = zlibStored(ascii("abc"));
  assertClose(small, [0x78, 0x01, 0x01, 3, 0, 0xfc, 0xff, 0x61, 0x62, 0x63, 0x02, 0x4d, 0x01, 0x27], "zlib of 'abc'", 0, 0);
  const big = new Uint8Array(70_000).map((_, i) => i & 0xff);
  const z = zlibStored(big);
  assert(z[2] === 0 && z[3] === 0xff && z[4] === 0xff, "first block: not final, 65535 bytes");
  assertClose(unstore(z), big, "70,000 bytes read back", 0, 0);
  assertClose(unstore(zlibStored(new Uint8Array(0))), [], "empty input", 0, 0);
});

test("png: signature, chunk layout, IHDR fields and scanlines", () => {
  const pixels = Uint8Array.from([0, 64, 128, 255, 10, 20]);
  const png = encodePng({ pixels, width: 3, height: 2, channels: 1 });
  assertClose(png.subarray(0, 8), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "signature", 0, 0);
  const list = chunks(png);
  assert(list.map((c) => c.type).join(",") === "IHDR,IDAT,IEND", `chunks ${list.map((c) => c.type)}`);
  assert(list.every((c) => c.crcOk), "every chunk's CRC");
  assertClose(list[0].data, [0, 0, 0, 3, 0, 0, 0, 2, 8, 0, 0, 0, 0], "IHDR: 3x2, 8-bit grayscale", 0, 0);
  assertClose(unstore(list[1].data), [0, 0, 64, 128, 0, 255, 10, 20], "filter byte 0 before each row", 0, 0);
  assertClose(png.subarray(png.length - 12), [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82], "IEND", 0, 0);

  const rgb = encodePng({ pixels: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 2, height: 1, channels: 3 });
  const rgbChunks = chunks(rgb);
  assert(rgbChunks[0].data[9] === 2, "colour type 2 for RGB");
  assertClose(unstore(rgbChunks[1].data), [0, 1, 2, 3, 4, 5, 6], "RGB scanline", 0, 0);

  let threw = false;
  try {
    encodePng({ pixels: new Uint8Array(5), width: 3, height: 2, channels: 1 });
  } catch (error) {
    threw = error instanceof RangeError;
  }
  assert(threw, "a pixel buffer of the wrong size is refused");
});

/** Decodes a PNG with the browser's own decoder and returns its RGBA pixels. */
async function browserDecode(png: Uint8Array<ArrayBuffer>, width: number, height: number): Promise<Uint8ClampedArray> {
  const bitmap = await createImageBitmap(new Blob([png], { type: "image/png" }), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  assert(bitmap.width === width && bitmap.height === height, `decoded size ${bitmap.width}x${bitmap.height}`);
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d")!;
  context.drawImage(bitmap, 0, 0);
  return context.getImageData(0, 0, width, height).data;
}

test("png: Chromium's decoder opens our grayscale and RGB files with the exact pixels", async () => {
  // Big enough for two stored blocks: 300 x 240 RGB is 216,240 bytes of scanlines.
  const width = 300;
  const height = 240;
  const rgb = new Uint8Array(width * height * 3).map((_, i) => (i * 31 + (i >> 7)) & 0xff);
  const rgba = await browserDecode(encodePng({ pixels: rgb, width, height, channels: 3 }), width, height);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) assert(rgba[4 * p + c] === rgb[3 * p + c], `RGB pixel ${p} channel ${c}: ${rgba[4 * p + c]} vs ${rgb[3 * p + c]}`);
    assert(rgba[4 * p + 3] === 255, "opaque");
  }
  const gray = new Uint8Array(37 * 11).map((_, i) => (i * 13) & 0xff);
  const g = await browserDecode(encodePng({ pixels: gray, width: 37, height: 11, channels: 1 }), 37, 11);
  for (let p = 0; p < gray.length; p++) assert(g[4 * p] === gray[p] && g[4 * p + 1] === gray[p] && g[4 * p + 2] === gray[p], `gray pixel ${p}`);
});

test("png: imageGrid tiles [-1, 1] images with padding, row by row", () => {
  // Three 2x2 images, two per row, 1 pixel of padding: 7x7.
  const images = Float32Array.from([-1, 1, 0, 1, /* */ 0.5, -0.5, 2, -3, /* */ -1, -1, -1, NaN]);
  const grid: Image8 = imageGrid(images, 3, 2, 2, 2, { padding: 1, background: 200 });
  assert(grid.width === 7 && grid.height === 7 && grid.channels === 1, `size ${grid.width}x${grid.height}`);
  const at = (x: number, y: number) => grid.pixels[y * 7 + x];
  assertClose([at(1, 1), at(2, 1), at(1, 2), at(2, 2)], [0, 255, 128, 255], "image 0: -1 -> 0, 1 -> 255, 0 -> 128", 0, 0);
  assertClose([at(4, 1), at(5, 1), at(4, 2), at(5, 2)], [191, 64, 255, 0], "image 1, values clamped", 0, 0);
  assertClose([at(1, 4), at(2, 4), at(1, 5), at(2, 5)], [0, 0, 0, 128], "image 2 on the second row, NaN as mid-gray", 0, 0);
  assertClose([at(0, 0), at(3, 3), at(4, 4), at(6, 6)], [200, 200, 200, 200], "padding and the empty slot are background", 0, 0);
  const wide = imageGrid(new Float32Array(2 * 32 * 32), 2, 32, 32, 10);
  assert(wide.width === 2 * 34 + 2 && wide.height === 36, "cols larger than n shrinks to n");
});

test("png: the deflate-compressed encoding decodes to the same pixels and is smaller", async () => {
  const width = 64;
  const height = 48;
  const rgb = new Uint8Array(width * height * 3).map((_, i) => ((i >> 5) * 7) & 0xff);
  const compressed = await encodePngCompressed({ pixels: rgb, width, height, channels: 3 });
  assert(compressed.length < encodePng({ pixels: rgb, width, height, channels: 3 }).length / 2, `compressed ${compressed.length} bytes`);
  const rgba = await browserDecode(compressed, width, height);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) assert(rgba[4 * p + c] === rgb[3 * p + c], `pixel ${p} channel ${c}`);
  }
});
