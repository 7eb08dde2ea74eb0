// esbuild settings shared by build.mjs and the test runner. WGSL files are
// imported as text, so each shader lives once, in shaders/, and is bundled
// into the code that uses it.
import * as esbuild from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";

const common = {
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: "linked",
  loader: { ".wgsl": "text" },
  logLevel: "warning",
};

const page = (title, script) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"></head>
<body><script type="module" src="./${script}"></script></body></html>
`;

/** Bundles `entry` for the browser into `outfile`; `define` replaces global names with values (JSON text). */
export async function bundleBrowser(entry, outfile, define = {}) {
  await esbuild.build({ ...common, platform: "browser", entryPoints: [entry], outfile, define });
}

/** Bundles `entry` for the browser into `dir`/main.js with an index.html that loads it. */
export async function buildPage(entry, dir, title) {
  mkdirSync(dir, { recursive: true });
  await bundleBrowser(entry, `${dir}/main.js`);
  writeFileSync(`${dir}/index.html`, page(title, "main.js"));
}

/**
 * Bundles a Node program (npm packages stay external imports, resolved from
 * the output file's folder). wgsl_reflect's "main" is a CommonJS file in an
 * ES-module package, which Node cannot import: its ES build is named instead.
 */
export async function buildNode(entry, outfile) {
  await esbuild.build({
    ...common, platform: "node", packages: "external", entryPoints: [entry], outfile,
    alias: { wgsl_reflect: "wgsl_reflect/wgsl_reflect.module.js" },
  });
}
