// The layering of ../shared/architecture.md, checked on the source: the core
// (src/) uses no host API, so the same code runs in a page and under Node; and
// each layer imports only the layers below it (no circles).
// Run by `npm test` (test/run.mjs) with node:test; alone: node --test test/system/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const LAYERS = ["gpu", "autograd", "ops", "nn", "optim", "io", "ocgan"]; // bottom up; nn and optim are one level

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** The code of a file with comments and string contents blanked, imports kept apart. */
function parse(file) {
  const text = readFileSync(file, "utf8");
  const imports = [...text.matchAll(/^\s*(?:import|export)[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "").replace(/`(?:\\.|[^`])*`|"(?:\\.|[^"])*"|'(?:\\.|[^'])*'/g, '""');
  return { imports, code };
}

const files = sources(join(root, "src"));

test("layers: the core uses no DOM or Node API", () => {
  assert.ok(files.length > 20, `found ${files.length} source files`);
  for (const file of files) {
    const { imports, code } = parse(file);
    const name = relative(root, file);
    for (const spec of imports) assert.ok(!spec.startsWith("node:"), `${name} imports ${spec}`);
    for (const host of ["window", "document", "navigator", "process", "require", "Buffer", "localStorage"]) {
      // navigator.gpu is read in one place only: the default of init()'s host GPU.
      if (host === "navigator" && name === join("src", "gpu", "device.ts")) continue;
      assert.ok(!new RegExp(`\\b${host}\\b\\s*[.[(]`).test(code), `${name} uses ${host}`);
    }
  }
});

test("layers: each layer imports only itself and the layers below it", () => {
  const level = (layer) => (layer === "optim" ? LAYERS.indexOf("nn") : LAYERS.indexOf(layer));
  for (const file of files) {
    const layer = relative(join(root, "src"), file).split("/")[0];
    if (!LAYERS.includes(layer)) continue; // src/index.ts is the public face over all of them
    for (const spec of parse(file).imports) {
      if (!spec.startsWith(".")) continue;
      const target = relative(join(root, "src"), resolve(dirname(file), spec)).split("/")[0];
      if (!LAYERS.includes(target)) continue; // shaders/*.wgsl
      assert.ok(level(target) <= level(layer), `${relative(root, file)} (${layer}) imports ${spec} (${target}), a layer above it`);
    }
  }
});
