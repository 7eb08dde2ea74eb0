// One owner per folder (a run folder, or results/ while a record is appended):
// proper-lockfile's lock, a directory <folder>/owner.lock made with mkdir
// (atomic, also on network filesystems) whose modification time the owner
// refreshes every few seconds, holding owner.json, which says which process
// holds it (inside, so that a record can never describe another lock). A lock is stale, and is taken over, when its owner was a
// process on this machine that is no longer running, or when it has not been
// refreshed for STALE_MS (an owner on another machine that died).
// Plain ES module: npm start, npm run reproduce and the tests share it.
import lockfile from "proper-lockfile";
import * as nodeFs from "node:fs";
import { readFileSync, rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { writeAtomic } from "./files.mjs";

export const STALE_MS = 30_000;
const UPDATE_MS = 5_000;
const RETRY_MS = 200;

const lockDir = (folder) => join(folder, "owner.lock");
const ownerFile = (folder) => join(lockDir(folder), "owner.json");

/** The folder is held by another live process; `owner` is its owner.json (null while it is being written). */
export class FolderBusyError extends Error {
  constructor(folder, owner) {
    super(`${folder} is in use by ${describeOwner(owner)}`);
    this.name = "FolderBusyError";
    this.folder = folder;
    this.owner = owner;
  }
}

function running(pid) {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function readOwner(folder) {
  try {
    return JSON.parse(readFileSync(ownerFile(folder), "utf8"));
  } catch {
    return null;
  }
}

/** "pid 123 (npm start) on this machine since <time>", or what is known of it. */
export function describeOwner(owner) {
  if (!owner) return "another process (it has just taken the lock)";
  const where = owner.host === hostname() ? "this machine" : `host ${owner.host}`;
  const child = owner.child ? `, running npm start as pid ${owner.child}` : "";
  return `pid ${owner.pid} (${owner.command}${child}) on ${where} since ${owner.started}`;
}

/**
 * The lock's state: "free" (no lock), "stale" (left by a process that is gone,
 * or not refreshed for STALE_MS; `why` says which) or "held", with
 * owner.json's record.
 */
export function lockState(folder) {
  let mtime;
  try {
    mtime = statSync(lockDir(folder)).mtimeMs;
  } catch {
    return { state: "free", owner: null };
  }
  const owner = readOwner(folder);
  if (owner !== null && owner.host === hostname() && !running(owner.pid)) return { state: "stale", owner, why: "that process is no longer running" };
  const idle = Date.now() - mtime;
  if (idle > STALE_MS) return { state: "stale", owner, why: `it has not been refreshed for ${Math.round(idle / 1000)} s` };
  return { state: "held", owner };
}

/** The record of the live process holding `folder`, or null when it is free or its lock is stale. */
export function lockHolder(folder) {
  const { state, owner } = lockState(folder);
  return state === "held" ? owner ?? {} : null;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes `folder`'s lock (the folder must exist) for this process, `command`
 * naming it in owner.json. A stale lock is taken over (`takenOver`: the
 * owner it had, and why it was stale). A held one throws FolderBusyError at
 * once, or after `waitMs` of retrying; with `parentMayHold`, a lock held by
 * the process that started this one (npm run reproduce, for the npm start it
 * runs in the folder) is this process's too, for as long as that process
 * lives. `onLost(error)` is called if the
 * lock is lost while held (its directory removed, or taken over by a process
 * that found it stale). Resolves with { takenOver, release() }; exiting the
 * process also releases it.
 */
export async function lockFolder(folder, { command, waitMs = 0, parentMayHold = false, onLost = () => {} }) {
  const holder = lockHolder(folder);
  if (parentMayHold && holder?.pid === process.ppid && holder.host === hostname()) {
    // The parent's lock covers this process only while the parent lives: killed, it leaves the folder to the next taker.
    const watch = setInterval(() => {
      if (process.ppid === holder.pid) return;
      clearInterval(watch);
      onLost(new Error(`pid ${holder.pid}, which held it for this process, has exited`));
    }, 1000);
    watch.unref();
    return { takenOver: null, release: async () => clearInterval(watch) };
  }
  const deadline = Date.now() + waitMs;
  const record = { pid: process.pid, host: hostname(), command, started: new Date().toISOString() };
  // owner.json is written the moment mkdir takes the lock, before proper-lockfile
  // notes the directory's modification time (a later write would change it, and
  // proper-lockfile would take that for another process taking the lock over).
  const fs = {
    ...nodeFs,
    mkdir: (path, callback) => nodeFs.mkdir(path, (error) => {
      if (error) return callback(error);
      try {
        writeAtomic(ownerFile(folder), JSON.stringify(record));
      } catch (writeError) {
        rmSync(path, { recursive: true, force: true });
        return callback(writeError);
      }
      callback(null);
    }),
  };
  let held = false;
  let release;
  let takenOver = null;
  for (;;) {
    const { state, owner, why } = lockState(folder);
    if (state === "stale") {
      takenOver = { owner, why };
      rmSync(lockDir(folder), { recursive: true, force: true });
    }
    try {
      release = await lockfile.lock(folder, {
        lockfilePath: lockDir(folder), realpath: false, stale: STALE_MS, update: UPDATE_MS, retries: 0, fs,
        onCompromised: (error) => {
          if (!held) return;
          held = false;
          onLost(error);
        },
      });
      break;
    } catch (error) {
      // ENOTEMPTY: proper-lockfile found it stale before this process did, and cannot remove owner.json.
      if (error.code !== "ELOCKED" && error.code !== "ENOTEMPTY") throw error;
      if (Date.now() >= deadline) throw new FolderBusyError(folder, readOwner(folder));
      await sleep(RETRY_MS);
    }
  }
  held = true;
  // On exit: proper-lockfile's own exit handler cannot remove a folder that is not empty.
  const forget = () => held && rmSync(lockDir(folder), { recursive: true, force: true });
  process.once("exit", forget);
  return {
    takenOver,
    async release() {
      process.off("exit", forget);
      if (!held) return;
      held = false;
      rmSync(ownerFile(folder), { force: true });
      await release();
    },
  };
}
