// A static file server for one folder, on 127.0.0.1 only: GET and HEAD, no
// path outside the folder. Used by the test runner, the benchmarks and the app.
import { createServer } from "node:http";
import { readFile, stat, realpath } from "node:fs/promises";
import { realpathSync } from "node:fs";
import { resolve, join, extname, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css",
  ".json": "application/json", ".png": "image/png", ".bin": "application/octet-stream",
  ".safetensors": "application/octet-stream", ".svg": "image/svg+xml", ".map": "application/json",
};

export function serve(root, port = 0) {
  const base = realpathSync(resolve(root));
  const inside = (file) => file === base || file.startsWith(base + sep);
  const server = createServer(async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let file = resolve(join(base, path));
    if (!inside(file)) {
      res.writeHead(404).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      // A symbolic link inside the folder must not lead outside it.
      if (!inside(await realpath(file))) throw new Error("outside the folder");
      const body = await readFile(file);
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Content-Length": body.length });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}
