// Takes the README's screenshots of the app (docs/app-*.png), in headless
// Chromium (SwiftShader where there is no GPU): the training page during
// training, after it (results), the latent explorer, the computation graph and
// the help shown without WebGPU; and the Benchmark view after a quick run.
//   node build.mjs && node app/screenshots.mjs [--views training,bench] [--preset tiny] [--epochs 3] [--digit 8] [--out docs]
import { mkdirSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { serve } from "../scripts/serve.mjs";
import { launchChromium } from "../scripts/chromium.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: opts } = parseArgs({
  options: {
    preset: { type: "string", default: "tiny" },
    epochs: { type: "string", default: "3" },
    digit: { type: "string", default: "8" },
    batch: { type: "string" },
    out: { type: "string", default: join(root, "docs") },
    views: { type: "string", default: "training,bench" },
  },
});
mkdirSync(opts.out, { recursive: true });
const { server, url } = await serve(join(root, "dist/app"));
const browser = await launchChromium();
const started = Date.now();
const log = (text) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${text}`);
const views = opts.views.split(",");
const shot = async (name, target) => {
  const file = join(opts.out, `app-${name}.png`);
  await target.screenshot({ path: file });
  log(`${file} (${(statSync(file).size / 1024).toFixed(0)} KB)`);
};

async function trainingViews() {
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.phase === "idle", null, { timeout: 60_000 });
  await page.selectOption("#preset", opts.preset);
  await page.selectOption("#digit", opts.digit);
  await page.fill("#epochs", opts.epochs);
  if (opts.batch) await page.fill("#batch", opts.batch);
  await page.fill("#refresh", "10");
  await page.check("#baseline");
  await page.click("#start");
  // During training: the second epoch's middle, when the curves have some length.
  await page.waitForFunction(() => {
    const [epoch] = (document.querySelector("#s-epoch")?.textContent ?? "").split(" / ").map(Number);
    const [it, of] = (document.querySelector("#s-iteration")?.textContent ?? "").split(" / ").map(Number);
    const epochs = Number(document.querySelector("#epochs").value);
    return (epoch === epochs && it >= of / 2) || document.body.dataset.phase !== "training";
  }, null, { timeout: 3_600_000, polling: 500 });
  await shot("training", page);
  await page.waitForFunction(() => ["done", "error"].includes(document.body.dataset.phase), null, { timeout: 3_600_000, polling: 1000 });
  log(await page.textContent("#message"));
  await page.$eval("#results", (el) => el.scrollIntoView());
  await shot("results", await page.$("#results"));
  await page.$eval("#training", (el) => el.scrollIntoView());
  await shot("figures", await page.$("#training .grids"));
  await page.$eval("#explorer", (el) => el.scrollIntoView());
  await page.click("#random-point");
  await page.waitForTimeout(1500);
  await shot("explorer", await page.$("#explorer"));
  await page.$eval("#graph", (el) => el.scrollIntoView());
  // A node in the middle of the graph: a trainable decoder weight, shared by both decoder calls.
  const node = (await page.$('#graph-svg .node.parameter.needs-grad[data-id] >> nth=12')) ?? (await page.$("#graph-svg .node.root"));
  await node.click();
  await shot("graph", await page.$("#graph"));

  const help = await browser.newPage({ viewport: { width: 1000, height: 540 } });
  await help.addInitScript(() => Object.defineProperty(Navigator.prototype, "gpu", { get: () => undefined, configurable: true }));
  await help.goto(url);
  await help.waitForFunction(() => document.body.dataset.phase === "no-webgpu");
  await shot("no-webgpu", help);
}

/** The Benchmark view after a quick run (kernels, the iteration and TF.js's WebGPU backend). */
async function benchView() {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${url}bench.html`);
  await page.waitForFunction(() => document.body.dataset.phase === "idle", null, { timeout: 60_000 });
  await page.click("#run");
  await page.waitForFunction(() => ["done", "failed", "cancelled"].includes(document.body.dataset.phase), null, { timeout: 3_600_000, polling: 1000 });
  log(`benchmark: ${await page.textContent("#status")}`);
  await page.click("#compare-this");
  await page.click("#compare-reference");
  await page.waitForSelector("#compare-table table");
  await shot("bench", page.locator("main"));
}

try {
  if (views.includes("training")) await trainingViews();
  if (views.includes("bench")) await benchView();
} finally {
  await browser.close();
  server.close();
}
