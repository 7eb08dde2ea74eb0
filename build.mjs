// Builds every bundle with esbuild. WGSL files are imported as text, so each
// shader lives once, in shaders/, and is bundled into the code that uses it.
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
<html><head><meta charset="utf-8"><title>${title}</title></head>
<body><script type="module" src="./${script}"></script></body></html>
`;

// Browser bundles: each gets a folder with an index.html that loads it.
const browserBundles = [
  { entry: "test/browser.ts", dir: "dist/test", title: "engine tests" },
];

await Promise.all(
  browserBundles.map(async ({ entry, dir, title }) => {
    mkdirSync(dir, { recursive: true });
    await esbuild.build({ ...common, platform: "browser", entryPoints: [entry], outfile: `${dir}/main.js` });
    writeFileSync(`${dir}/index.html`, page(title, "main.js"));
  }),
);
