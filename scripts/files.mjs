// File writes shared by the command line (cli/), the results renderer and
// their tests: plain ES modules, so `node scripts/...` runs them unbundled.
// Every write either completes and is on the disk (fsync) or fails with a
// WriteError naming the file and the cause, leaving the previous file whole
// and no temporary file behind. Folders are not created here: a folder
// removed under a run is an error, not something to paper over.
import { openSync, closeSync, writeFileSync, fsyncSync, renameSync, rmSync, fstatSync, readSync, readdirSync } from "node:fs";
import { dirname, basename, join } from "node:path";

const CAUSES = {
  ENOSPC: "no space left on the disk",
  EDQUOT: "the disk quota is used up",
  EROFS: "the filesystem is read-only",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOENT: "its folder no longer exists",
  ENOTDIR: "its folder no longer exists",
  EIO: "an input/output error from the disk",
};

/** A failed write: `file` and `code` (ENOSPC, EROFS, ...) for the caller, the cause in words in the message. */
export class WriteError extends Error {
  constructor(file, cause) {
    const code = cause?.code;
    super(`cannot write ${file}: ${CAUSES[code] ?? cause?.message ?? String(cause)}${code ? ` (${code})` : ""}`, { cause });
    this.name = "WriteError";
    this.file = file;
    this.code = code;
  }
}

function fsyncFolder(folder) {
  const fd = openSync(folder, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Closes a descriptor on a failure path, where the first error is the one to report. */
function closeQuietly(fd) {
  try {
    if (fd !== null) closeSync(fd);
  } catch {
    // the write's own error is thrown
  }
}

let temporaries = 0;
const TEMPORARY = /^\..+\.\d+\.\d+\.tmp$/;

/**
 * Replaces `file` with `data` so that a crash, a kill or a power cut leaves
 * either the old file or the new one, whole: the data goes to a temporary file
 * beside it (writeFileSync on a descriptor loops over short writes, which a
 * full disk gives), is synced, renamed over the file, and the folder is
 * synced so the rename is on the disk too. On any failure the temporary file
 * is removed and a WriteError thrown.
 */
export function writeAtomic(file, data) {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${++temporaries}.tmp`);
  let fd = null;
  try {
    fd = openSync(temporary, "wx");
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temporary, file);
    fsyncFolder(dirname(file));
  } catch (error) {
    closeQuietly(fd);
    rmSync(temporary, { force: true });
    throw new WriteError(file, error);
  }
}

/** Removes the temporary files writeAtomic leaves only when killed mid-write; for the folder's owner to call. */
export function removeTemporaries(folder) {
  for (const name of readdirSync(folder)) if (TEMPORARY.test(name)) rmSync(join(folder, name), { force: true });
}

/**
 * Appends one line to `file` (created if missing) and syncs it. A line cut
 * short by an earlier kill or failed append is closed off first, so the new
 * line is never glued to it.
 */
export function appendLine(file, line) {
  let fd = null;
  try {
    fd = openSync(file, "a+");
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    const cut = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    writeFileSync(fd, `${cut ? "\n" : ""}${line}\n`);
    fsyncSync(fd);
  } catch (error) {
    throw new WriteError(file, error);
  } finally {
    closeQuietly(fd);
  }
}
