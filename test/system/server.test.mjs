// scripts/serve.mjs, the static server of the tests, the benchmarks and the
// app: it listens on 127.0.0.1 only, serves only files inside its folder
// (plain, dot-dot, percent-encoded and symbolic-link escapes all get 404), and
// answers GET and HEAD only (405 with an Allow header otherwise).
// Run by `npm test` (test/run.mjs) with node:test; alone: node --test test/system/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../../scripts/serve.mjs";

const SECRET = "secret outside the served folder";
let dir;
let server;
let port;

before(async () => {
  // dir/site is served; dir/secret.txt and dir/site-other/secret.txt lie beside it.
  dir = mkdtempSync(join(tmpdir(), "serve-test-"));
  mkdirSync(join(dir, "site", "sub"), { recursive: true });
  mkdirSync(join(dir, "site-other"));
  writeFileSync(join(dir, "secret.txt"), SECRET);
  writeFileSync(join(dir, "site-other", "secret.txt"), SECRET);
  writeFileSync(join(dir, "site", "index.html"), "<p>home</p>");
  writeFileSync(join(dir, "site", "sub", "data.bin"), Buffer.from([1, 2, 3]));
  symlinkSync(join(dir, "secret.txt"), join(dir, "site", "link.txt"));
  symlinkSync(dir, join(dir, "site", "up"));
  ({ server } = await serve(join(dir, "site")));
  port = server.address().port;
});

after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw request: the path goes out exactly as given (no client-side normalisation). */
function fetchRaw(path, { method = "GET", host = "127.0.0.1" } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, timeout: 5000 }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("latin1") }));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout for ${method} ${path}`)));
    req.on("error", reject);
    req.end();
  });
}

test("server: listens on 127.0.0.1 only", async () => {
  assert.equal(server.address().address, "127.0.0.1");
  // Every other address of this machine refuses the connection.
  const others = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === "IPv4" && !a.internal);
  for (const { address } of others) {
    await assert.rejects(fetchRaw("/index.html", { host: address }), /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|timeout/, `reachable on ${address}`);
  }
});

test("server: serves files of its folder, with HEAD giving the length and no body", async () => {
  const home = await fetchRaw("/");
  assert.equal(home.status, 200);
  assert.equal(home.body, "<p>home</p>");
  assert.match(home.headers["content-type"], /text\/html/);
  const bin = await fetchRaw("/sub/data.bin");
  assert.equal(bin.status, 200);
  assert.equal(bin.body.length, 3);
  const head = await fetchRaw("/sub/data.bin", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers["content-length"], "3");
  assert.equal(head.body, "");
  assert.equal((await fetchRaw("/missing.js")).status, 404);
  assert.equal((await fetchRaw("/sub/")).status, 404, "a folder without index.html");
});

test("server: no path outside its folder, however it is spelled, is served (404)", async () => {
  const attempts = [
    "/../secret.txt",
    "/../../secret.txt",
    "/sub/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/sub/..%2f..%2fsecret.txt",
    "/%252e%252e%252fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/../site-other/secret.txt",
    "/..%2fsite-other%2fsecret.txt",
    "/%2e%2e%2fsite-other/secret.txt",
    `/${encodeURIComponent(join(dir, "secret.txt"))}`,
    `//${join(dir, "secret.txt").slice(1)}`,
    "/link.txt",
    "/up/secret.txt",
    "/index.html%00.js",
    "/secret.txt",
  ];
  for (const path of attempts) {
    const r = await fetchRaw(path);
    assert.ok(!r.body.includes(SECRET), `${path} leaked the file outside the folder`);
    assert.ok(r.status === 404 || r.status === 400, `${path}: status ${r.status}, expected 404 (or 400 for a malformed path)`);
  }
  assert.equal((await fetchRaw("/%E0%A4%A")).status, 400, "malformed percent-encoding");
});

test("server: answers GET and HEAD only, 405 with Allow otherwise", async () => {
  for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"]) {
    const r = await fetchRaw("/index.html", { method });
    assert.equal(r.status, 405, `${method}: status ${r.status}`);
    assert.equal(r.headers.allow, "GET, HEAD", `${method}: Allow header`);
    assert.ok(!r.body.includes("home"), `${method}: no body`);
  }
  // CONNECT (a proxy tunnel) is not even answered: Node's server closes the connection.
  await assert.rejects(fetchRaw("127.0.0.1:1", { method: "CONNECT" }), /socket hang up|ECONNRESET/);
});
