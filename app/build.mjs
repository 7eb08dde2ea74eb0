// Builds the training page (npm run app) into a folder: the bundle (main.js),
// index.html and style.css from app/, and data/mnist.bin beside them. The page
// loads nothing from elsewhere: no CDN, no network.
//   buildApp("dist/app", "dist/data/mnist.bin")   (build.mjs calls it)
import { copyFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { buildPage } from "../scripts/bundle.mjs";

const here = dirname(fileURLToPath(import.meta.url));

export async function buildApp(outDir, mnistFile) {
  await buildPage(join(here, "main.ts"), outDir, "OCGAN in your browser");
  // buildPage writes a bare index.html; the page's own replaces it.
  copyFileSync(join(here, "index.html"), join(outDir, "index.html"));
  copyFileSync(join(here, "style.css"), join(outDir, "style.css"));
  mkdirSync(join(outDir, "data"), { recursive: true });
  copyFileSync(mnistFile, join(outDir, "data", "mnist.bin"));
}
