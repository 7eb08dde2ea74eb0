// Builds the training page (npm run app) into a folder: the bundle (main.js),
// index.html and style.css from app/, and data/mnist.bin beside them; and the
// Benchmark view (bench.html, bench.js) with the committed SwiftShader results
// it compares against. The pages load nothing from elsewhere: no CDN, no network.
//   buildApp("dist/app", "dist/data/mnist.bin")   (build.mjs calls it)
import { copyFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { buildPage, bundleBrowser } from "../scripts/bundle.mjs";

const here = dirname(fileURLToPath(import.meta.url));

function git(...args) {
  try {
    return execFileSync("git", args, { cwd: here, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

export async function buildApp(outDir, mnistFile) {
  await buildPage(join(here, "main.ts"), outDir, "OCGAN in your browser");
  // buildPage writes a bare index.html; the page's own replaces it.
  copyFileSync(join(here, "index.html"), join(outDir, "index.html"));
  copyFileSync(join(here, "style.css"), join(outDir, "style.css"));
  // The benchmark results it downloads name the commit the page was built from, as npm run bench's do.
  const commit = git("rev-parse", "HEAD");
  const dirty = (git("status", "--porcelain") ?? "") !== "";
  await bundleBrowser(join(here, "bench-view.ts"), join(outDir, "bench.js"), { __BUILD_COMMIT__: JSON.stringify(commit), __BUILD_DIRTY__: JSON.stringify(dirty) });
  copyFileSync(join(here, "bench.html"), join(outDir, "bench.html"));
  mkdirSync(join(outDir, "bench-results"), { recursive: true });
  copyFileSync(join(here, "../bench/results/swiftshader.json"), join(outDir, "bench-results", "swiftshader.json"));
  mkdirSync(join(outDir, "data"), { recursive: true });
  copyFileSync(mnistFile, join(outDir, "data", "mnist.bin"));
}
