// src/io/safetensors.ts: round trip, byte-exact files written from the
// format's definition, one specific error per corruption, and a bounded fuzz.
import { test, assert, assertClose, assertRejects } from "./harness.js";
import { mulberry32 } from "./random.js";
import { serializeSafetensors, parseSafetensors, SafetensorsError, type F32Tensor } from "../src/io/safetensors.js";

const FILE = "ckpt.safetensors";

/** A file from a header text and data bytes, the length field computed here (no padding added). */
function rawFile(header: string, data: ArrayLike<number> = []): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian float32 bytes. */
function f32Bytes(...values: number[]): number[] {
  const bytes = new Uint8Array(new Float32Array(values).buffer);
  return [...bytes];
}

function sampleTensors(): Record<string, F32Tensor> {
  return {
    "enc.0.weight": { shape: [2, 1, 2, 2], data: Float32Array.from([0.5, -1.25, 3e-8, 1e30, -0, 7, 8, 9]) },
    "enc.bn.running_var": { shape: [3], data: Float32Array.from([1, 2, 3]) },
    scalar: { shape: [], data: Float32Array.from([42]) },
    empty: { shape: [0, 4], data: new Float32Array(0) },
    "0": { shape: [1], data: Float32Array.from([-3]) }, // integer-like names keep their place
    ["__proto__"]: { shape: [1], data: Float32Array.from([5]) },
  };
}

test("safetensors: round trip of shapes, values, names and metadata", () => {
  const tensors = sampleTensors();
  const metadata = { format: "ocgan", epoch: "12", note: "λ=10, σ=0.2 \"quoted\"" };
  const bytes = serializeSafetensors(tensors, metadata);
  const headerLength = new DataView(bytes.buffer).getUint32(0, true);
  assert(headerLength % 8 === 0, `header length ${headerLength} is a multiple of 8`);
  const back = parseSafetensors(bytes, FILE);
  assert(JSON.stringify(Object.keys(back.tensors)) === JSON.stringify(Object.keys(tensors)), `names: ${Object.keys(back.tensors)}`);
  assert(Object.getPrototypeOf(back.tensors) === Object.prototype, "a tensor named __proto__ is an own key, not the prototype");
  for (const name of Object.keys(tensors)) {
    assert(JSON.stringify(back.tensors[name].shape) === JSON.stringify(tensors[name].shape), `${name} shape`);
    assertClose(back.tensors[name].data, tensors[name].data, `${name} data`, 0, 0);
  }
  assert(Object.is(back.tensors["enc.0.weight"].data[4], -0), "-0 survives");
  assert(JSON.stringify(back.metadata) === JSON.stringify(metadata), "metadata");
  assert(JSON.stringify(parseSafetensors(serializeSafetensors({}), FILE)) === JSON.stringify({ tensors: {}, metadata: {} }), "an empty file");
});

test("safetensors: a tiny file is byte for byte what the format prescribes", () => {
  // {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} is 54 bytes,
  // padded with 2 spaces to 56 = 0x38; then 1.0 and -2.0 as little-endian f32.
  const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ';
  const expected = [
    0x38, 0, 0, 0, 0, 0, 0, 0,
    ...Array.from(header, (c) => c.charCodeAt(0)),
    0x00, 0x00, 0x80, 0x3f, // 1.0
    0x00, 0x00, 0x00, 0xc0, // -2.0
  ];
  const actual = serializeSafetensors({ a: { shape: [2], data: Float32Array.from([1, -2]) } });
  assertClose(actual, expected, "tiny file bytes", 0, 0);

  // With metadata, two tensors and a scalar: 137 bytes of JSON + 7 spaces = 144 = 0x90.
  const header2 =
    '{"__metadata__":{"step":"3"},"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}       ';
  const expected2 = [0x90, 0, 0, 0, 0, 0, 0, 0, ...Array.from(header2, (c) => c.charCodeAt(0)), 0, 0, 0, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0x50, 0x40];
  const actual2 = serializeSafetensors(
    { w: { shape: [1, 2], data: Float32Array.from([0.5, -2]) }, b: { shape: [], data: Float32Array.from([3.25]) } },
    { step: "3" },
  );
  assertClose(actual2, expected2, "file with metadata", 0, 0);
});

test("safetensors: a file written by hand (as the Python library writes them) parses", () => {
  // Unsorted keys, metadata last, offsets not in key order, no padding.
  const file = rawFile(
    '{"z":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"format":"np"}}',
    [...f32Bytes(1.5), ...f32Bytes(-4)],
  );
  const { tensors, metadata } = parseSafetensors(file, FILE);
  assert(tensors.a.data[0] === 1.5 && tensors.z.data[0] === -4, "values by offset");
  assert(metadata.format === "np", "metadata");
});

test("safetensors: each corruption gives its own error naming the file and tensor", async () => {
  const t = (shape: number[], begin: number, end: number, dtype = "F32") =>
    `{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;
  const eight = f32Bytes(1, 2);
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty file", new Uint8Array(0), /ckpt\.safetensors: truncated: 0 bytes/],
    ["7 bytes", new Uint8Array(7), /truncated: 7 bytes/],
    ["header length beyond the file", rawFile(`{"a":${t([2], 0, 8)}}`, eight).subarray(0, 40), /header length 54 goes beyond the file/],
    ["u64 header length with the high half set", (() => {
      const f = rawFile(`{"a":${t([2], 0, 8)}}`, eight);
      f[5] = 1;
      return f;
    })(), /header length \d+ goes beyond the file/],
    ["header not JSON", rawFile(`{"a":${t([2], 0, 8)}`, eight), /ckpt\.safetensors: header is not valid JSON/],
    ["header not an object", rawFile("[1,2]"), /header is not a JSON object/],
    ["header not UTF-8", (() => {
      const f = rawFile('{"a":1}  ');
      f[10] = 0xff;
      return f;
    })(), /header is not valid UTF-8/],
    ["dtype F16", rawFile(`{"a":${t([4], 0, 8, "F16")}}`, eight), /tensor "a": dtype "F16" is not supported \(only F32\)/],
    ["shape vs offsets", rawFile(`{"a":${t([3], 0, 8)}}`, eight), /tensor "a": shape \[3\] needs 12 bytes as F32 but data_offsets \[0, 8\] span 8/],
    ["negative dimension", rawFile(`{"a":${t([-2], 0, 8)}}`, eight), /tensor "a": shape must be a list of non-negative integers/],
    ["fractional offset", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.5]}}`, eight), /tensor "a": data_offsets must be two non-negative integers/],
    ["offsets reversed", rawFile(`{"a":${t([0], 8, 0)}}`, eight), /tensor "a": data_offsets \[8, 0\] end before they begin/],
    ["out of range", rawFile(`{"a":${t([4], 0, 16)}}`, eight), /tensor "a": data_offsets \[0, 16\] are out of range: the data region has 8 bytes/],
    ["overlap", rawFile(`{"a":${t([2], 0, 8)},"b":${t([2], 4, 12)}}`, f32Bytes(1, 2, 3)), /tensor "b": data_offsets \[4, 12\] overlap tensor "a"/],
    ["gap", rawFile(`{"a":${t([1], 0, 4)},"b":${t([1], 8, 12)}}`, f32Bytes(1, 2, 3)), /tensor "b": data_offsets begin at 8, leaving a gap after byte 4/],
    ["trailing bytes", rawFile(`{"a":${t([1], 0, 4)}}`, eight), /data region has 8 bytes but the tensors cover 4/],
    ["NaN", rawFile(`{"a":${t([2], 0, 8)}}`, f32Bytes(1, NaN)), /tensor "a": value 1 is NaN/],
    ["Infinity", rawFile(`{"a":${t([2], 0, 8)}}`, f32Bytes(-Infinity, 0)), /tensor "a": value 0 is -Infinity/],
    ["unexpected field", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}`, eight), /tensor "a": unexpected field "extra"/],
    ["entry not an object", rawFile(`{"a":[1,2]}`), /tensor "a": entry must be an object/],
    ["metadata not strings", rawFile(`{"__metadata__":{"epoch":3}}`), /metadata "epoch" must be a string/],
    ["a shape nested 100,000 deep", rawFile(`{"a":{"dtype":"F32","shape":${"[".repeat(100_000)}${"]".repeat(100_000)},"data_offsets":[0,0]}}`), /tensor "a": shape must be a list of non-negative integers|header is not valid JSON/],
  ];
  for (const [what, bytes, pattern] of cases) {
    const error = await assertRejects(() => parseSafetensors(bytes, FILE), pattern, what);
    assert(error instanceof SafetensorsError, `${what}: ${error.name} is not a SafetensorsError`);
    assert(error.message.startsWith(`${FILE}: `), `${what}: the message names the file`);
  }
});

test("safetensors: serializing refuses bad input", async () => {
  await assertRejects(() => serializeSafetensors({ a: { shape: [3], data: new Float32Array(2) } }), /tensor "a": shape \[3\] holds 3 values but data has 2/, "length");
  await assertRejects(() => serializeSafetensors({ a: { shape: [1], data: Float32Array.from([NaN]) } }), /tensor "a": value 0 is NaN/, "NaN");
  await assertRejects(() => serializeSafetensors({ a: { shape: [1.5], data: new Float32Array(1) } }), /shape must be a list of non-negative integers/, "shape");
  await assertRejects(() => serializeSafetensors({ __metadata__: { shape: [0], data: new Float32Array(0) } }), /reserved/, "reserved name");
  await assertRejects(() => serializeSafetensors({}, { epoch: 3 as unknown as string }), /metadata "epoch" must be a string/, "metadata");
});

test("safetensors: fuzz, 4000 mutated or truncated files give only SafetensorsError", () => {
  const valid = serializeSafetensors(sampleTensors(), { format: "ocgan", epoch: "3" });
  const headerEnd = 8 + new DataView(valid.buffer).getUint32(0, true);
  const random = mulberry32(7);
  const int = (n: number) => Math.floor(random() * n);
  const interesting = [0x00, 0x20, 0x22, 0x2c, 0x2d, 0x30, 0x31, 0x39, 0x3a, 0x5b, 0x5d, 0x7b, 0x7d, 0x7f, 0x80, 0xc3, 0xff];
  const start = performance.now();
  let parsed = 0;
  for (let round = 0; round < 4000; round++) {
    let bytes = valid.slice();
    const kind = round % 4;
    if (kind === 0) {
      bytes = bytes.slice(0, int(bytes.length)); // truncation
    } else {
      // Flip 1-4 bytes, mostly inside the length field and header where the parsing is.
      for (let k = 1 + int(4); k > 0; k--) {
        const at = kind === 3 ? int(bytes.length) : int(headerEnd);
        bytes[at] = kind === 1 ? interesting[int(interesting.length)] : int(256);
      }
      if (kind === 2 && random() < 0.3) bytes = bytes.slice(0, bytes.length - 1 - int(16));
    }
    try {
      const result = parseSafetensors(bytes, FILE);
      parsed++;
      for (const [name, tensor] of Object.entries(result.tensors)) {
        assert(tensor.data.every(Number.isFinite), `round ${round}: accepted non-finite values in ${name}`);
      }
    } catch (error) {
      if (!(error instanceof SafetensorsError)) {
        throw new Error(`round ${round}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      }
    }
  }
  const ms = performance.now() - start;
  assert(ms < 20_000, `fuzz took ${ms.toFixed(0)} ms`);
  assert(parsed < 4000, "most mutations are rejected");
});
