// npm run app: serves the built page (dist/app) on 127.0.0.1 and prints its URL.
//   node app/serve.mjs [--port N] [--dir folder]
//     --port   default 8080; 0 picks any free port
//     --dir    serve another build of the page than dist/app (the tests build their own)
// WebGPU needs a secure context: http://127.0.0.1 is one, a LAN address is not,
// which is why the server listens on 127.0.0.1 only (scripts/serve.mjs).
import { existsSync } from "node:fs";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../scripts/serve.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
let dir = join(root, "dist/app");

function usage(message) {
  console.error(`error: ${message}\nusage: node app/serve.mjs [--port N] [--dir folder]   (N from 0 to 65535; 0 = any free port; default 8080)`);
  process.exit(2);
}

let port = 8080;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const [flag, inline] = args[i].includes("=") ? args[i].split(/=(.*)/s, 2) : [args[i], undefined];
  if (flag !== "--port" && flag !== "--dir") usage(`unknown argument ${JSON.stringify(args[i])}`);
  const value = inline ?? args[++i];
  if (value === undefined) usage(`${flag} needs a value`);
  if (flag === "--dir") {
    dir = resolve(value);
    continue;
  }
  if (!/^\d+$/.test(value) || Number(value) > 65535) usage(`--port expects a number from 0 to 65535, got ${JSON.stringify(value)}`);
  port = Number(value);
}

if (!existsSync(join(dir, "index.html")) || !existsSync(join(dir, "data/mnist.bin"))) {
  console.error(`error: ${dir} holds no built page; run \`node build.mjs\` (or \`npm run app\`, which builds first)`);
  process.exit(1);
}

try {
  const { url } = await serve(dir, port);
  console.log(`The training page is at ${url}  (open it in a browser with WebGPU; Ctrl+C stops the server)`);
} catch (error) {
  if (error.code === "EADDRINUSE") console.error(`error: port ${port} on 127.0.0.1 is in use; choose another with --port N, or --port 0 for any free one`);
  else console.error(`error: could not listen on 127.0.0.1:${port}: ${error.message}`);
  process.exit(1);
}
