// A small disk, simulated, for test/system/run-folder.test.mjs where it cannot
// mount one (not root, no tmpfs): preloaded into npm start with
// `node --import ./test/system/faults.mjs`, it makes the writes under
// FAULT_FOLDER fail the way a real filesystem's do:
//   FAULT_QUOTA=N       the folder's files may hold N bytes in all: a write
//                       beyond is cut short, the next one fails with ENOSPC;
//   FAULT_READONLY=F    while the file F exists, opening, creating or renaming
//                       anything under the folder fails with EROFS.
import fs from "node:fs";
import { join, resolve, sep } from "node:path";
import { syncBuiltinESMExports } from "node:module";

const folder = resolve(process.env.FAULT_FOLDER);
const quota = process.env.FAULT_QUOTA ? Number(process.env.FAULT_QUOTA) : Infinity;
const readOnlyMarker = process.env.FAULT_READONLY;
const original = { openSync: fs.openSync, closeSync: fs.closeSync, writeSync: fs.writeSync, renameSync: fs.renameSync, mkdirSync: fs.mkdirSync };
const tracked = new Set();

const inside = (path) => typeof path === "string" && (resolve(path) + sep).startsWith(folder + sep);
const fault = (code, message, syscall) => Object.assign(new Error(`${code}: ${message}, ${syscall}`), { code, syscall });
const readOnly = () => readOnlyMarker && fs.existsSync(readOnlyMarker);

function used(dir) {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    bytes += entry.isDirectory() ? used(join(dir, entry.name)) : fs.statSync(join(dir, entry.name)).size;
  }
  return bytes;
}

fs.openSync = (path, flags, ...rest) => {
  const writing = typeof flags === "string" && /[wa+]/.test(flags);
  if (writing && inside(path) && readOnly()) throw fault("EROFS", "read-only file system", "open");
  const fd = original.openSync(path, flags, ...rest);
  if (writing && inside(path)) tracked.add(fd);
  return fd;
};
fs.closeSync = (fd) => {
  tracked.delete(fd);
  return original.closeSync(fd);
};
fs.writeSync = (fd, buffer, offset, length, ...rest) => {
  if (!tracked.has(fd)) return original.writeSync(fd, buffer, offset, length, ...rest);
  if (readOnly()) throw fault("EROFS", "read-only file system", "write");
  const free = quota - used(folder);
  if (free <= 0) throw fault("ENOSPC", "no space left on device", "write");
  const bytes = typeof buffer === "string" ? Buffer.from(buffer) : buffer;
  const start = typeof offset === "number" ? offset : 0;
  const wanted = typeof length === "number" ? length : bytes.length - start;
  return original.writeSync(fd, bytes, start, Math.min(wanted, free), ...rest);
};
for (const name of ["renameSync", "mkdirSync"]) {
  fs[name] = (path, ...rest) => {
    if (inside(path) && readOnly()) throw fault("EROFS", "read-only file system", name.replace("Sync", ""));
    return original[name](path, ...rest);
  };
}
syncBuiltinESMExports();
