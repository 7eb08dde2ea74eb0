// Checkpoints in the safetensors format (github.com/huggingface/safetensors),
// float32 only, so a checkpoint written here opens in Python with
// `safetensors.numpy.load_file` / `safe_open`, and one written there (as F32)
// loads here.
//
// Layout of a file:
//   8 bytes   N, the header length, unsigned 64-bit little-endian
//   N bytes   a UTF-8 JSON object, starting with "{":
//               {"__metadata__": {"key": "value", ...},            (optional)
//                "name": {"dtype": "F32", "shape": [2, 3],
//                         "data_offsets": [begin, end]}, ...}
//             padded with spaces so that the data starts 8-byte aligned
//   the rest  the tensors' bytes, little-endian; offsets count from the start
//             of this region
//
// The reference reader (Rust) also requires the tensors to tile the data
// region exactly: sorted by offset, each begins where the previous one ends,
// the first at 0 and the last at the end of the file. The parser below checks
// the same rules, and also rejects NaN and infinite values, because a
// checkpoint holding them is the trace of a diverged run, not something to
// resume from.

export interface F32Tensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Record<string, F32Tensor>;
  metadata: Record<string, string>;
}

/** Every problem with a safetensors file (reading or writing) is one of these. */
export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

const METADATA_KEY = "__metadata__";
/** The reference reader refuses headers over 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Writes tensors (in the order given) and optional string metadata as one
 * safetensors file.
 * @throws SafetensorsError for a bad name, shape, data length, non-finite value
 *   or non-string metadata value.
 */
export function serializeSafetensors(
  tensors: Record<string, F32Tensor>,
  metadata?: Record<string, string>,
): Uint8Array<ArrayBuffer> {
  // The header is assembled as text, entry by entry, rather than with one
  // JSON.stringify of an object: JavaScript objects list integer-like keys
  // ("0", "12") first, which would reorder the header against the data.
  const entries: string[] = [];
  if (metadata !== undefined) {
    const parts: string[] = [];
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") {
        throw new SafetensorsError(`serializeSafetensors: metadata "${key}" must be a string, got ${typeof value}`);
      }
      parts.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
    }
    entries.push(`${JSON.stringify(METADATA_KEY)}:{${parts.join(",")}}`);
  }
  let offset = 0;
  const names = Object.keys(tensors);
  for (const name of names) {
    const { shape, data } = tensors[name];
    const where = `serializeSafetensors: tensor "${name}"`;
    if (name === METADATA_KEY) throw new SafetensorsError(`${where}: the name is reserved for metadata`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!(data instanceof Float32Array)) throw new SafetensorsError(`${where}: data must be a Float32Array`);
    if (data.length !== elementCount(shape)) {
      throw new SafetensorsError(`${where}: shape ${shapeText(shape)} holds ${elementCount(shape)} values but data has ${data.length}`);
    }
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new SafetensorsError(`${where}: value ${bad} is ${data[bad]}; refusing to save a non-finite checkpoint`);
    const end = offset + data.length * 4;
    entries.push(`${JSON.stringify(name)}:{"dtype":"F32","shape":[${shape.join(",")}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${entries.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true); // low half of the u64
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // space padding
  let at = 8 + headerLength;
  for (const name of names) {
    for (const v of tensors[name].data) {
      view.setFloat32(at, v, true);
      at += 4;
    }
  }
  return out;
}

/**
 * A value for an error message: JSON, cut to 60 characters. A hostile header
 * can nest arrays deeply enough to overflow JSON.stringify's stack; that must
 * still end as a SafetensorsError, not a RangeError.
 */
function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = "(a value too deeply nested to print)";
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads and validates a safetensors file of float32 tensors.
 * @param fileName used only in error messages.
 * @throws SafetensorsError naming the file (and the tensor, where there is
 *   one) for: a file too short for the length field, a header length beyond
 *   the file, a header that is not UTF-8 JSON or not an object, a dtype other
 *   than F32, a malformed shape or offsets, a shape that disagrees with its
 *   byte range, overlapping, gapped or out-of-range offsets, NaN or infinite
 *   values.
 */
export function parseSafetensors(bytes: Uint8Array, fileName: string): SafetensorsFile {
  const fail = (message: string): never => {
    throw new SafetensorsError(`${fileName}: ${message}`);
  };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const headerLength = high * 2 ** 32 + low; // exact below 2^53; larger is rejected just below anyway
  if (headerLength > bytes.length - 8) {
    fail(`header length ${headerLength} goes beyond the file (${bytes.length - 8} bytes after the length field): truncated or not a safetensors file`);
  }
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerLength === 0 || bytes[8] !== 0x7b /* "{" */) fail("header is not a JSON object (it must start with '{')");

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail("header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    return fail(`header is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isPlainObject(header)) return fail("header is not a JSON object");

  const metadata: Record<string, string> = {};
  const metaValue = header[METADATA_KEY];
  if (metaValue !== undefined) {
    if (!isPlainObject(metaValue)) fail(`"${METADATA_KEY}" must be an object of strings`);
    for (const [key, value] of Object.entries(metaValue as Record<string, unknown>)) {
      if (typeof value !== "string") fail(`metadata "${key}" must be a string, got ${describe(value)}`);
      // defineProperty, not assignment: a key "__proto__" must stay a plain key.
      Object.defineProperty(metadata, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  interface Entry { name: string; shape: number[]; begin: number; end: number }
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    const where = `tensor "${name}"`;
    if (!isPlainObject(info)) return fail(`${where}: entry must be an object with dtype, shape and data_offsets`);
    for (const key of Object.keys(info)) {
      if (key !== "dtype" && key !== "shape" && key !== "data_offsets") fail(`${where}: unexpected field "${key}"`);
    }
    if (info.dtype !== "F32") fail(`${where}: dtype ${describe(info.dtype)} is not supported (only F32)`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      return fail(`${where}: shape must be a list of non-negative integers, got ${describe(shape)}`);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      return fail(`${where}: data_offsets must be two non-negative integers, got ${describe(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLength) fail(`${where}: data_offsets [${begin}, ${end}] are out of range: the data region has ${dataLength} bytes`);
    const count = elementCount(shape);
    if (count * 4 !== end - begin) {
      fail(`${where}: shape ${shapeText(shape)} needs ${count * 4} bytes as F32 but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    entries.push({ name, shape: shape as number[], begin, end });
  }

  // The tensors must tile the data region: no overlap, no gap, nothing after.
  const byOffset = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (let i = 0; i < byOffset.length; i++) {
    const e = byOffset[i];
    if (e.begin < expected) {
      fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap tensor "${byOffset[i - 1].name}" (which ends at ${expected})`);
    }
    if (e.begin > expected) fail(`tensor "${e.name}": data_offsets begin at ${e.begin}, leaving a gap after byte ${expected}`);
    expected = e.end;
  }
  if (expected !== dataLength) {
    fail(`the data region has ${dataLength} bytes but the tensors cover ${expected}: truncated or trailing bytes`);
  }

  const tensors: Record<string, F32Tensor> = {};
  for (const { name, shape, begin, end } of entries) {
    const data = new Float32Array((end - begin) / 4);
    for (let i = 0; i < data.length; i++) {
      const v = view.getFloat32(dataStart + begin + 4 * i, true);
      if (!Number.isFinite(v)) fail(`tensor "${name}": value ${i} is ${v}; the checkpoint holds non-finite weights`);
      data[i] = v;
    }
    Object.defineProperty(tensors, name, { value: { shape, data }, enumerable: true, writable: true, configurable: true });
  }
  return { tensors, metadata };
}
