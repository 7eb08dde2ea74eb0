// What the command-line tests share: starting npm start (dist/cli/main.mjs),
// the processes it leaves, and what its checkpoints hold.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const cli = join(root, "dist/cli/main.mjs");

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spawns the CLI in `cwd`; `done` resolves with its exit code, signal, stdout
 * and stderr. `execArgv`: Node options before the script (a preloaded module).
 */
export function startCli(args, { cwd, env = {}, execArgv = [] } = {}) {
  const child = spawn(process.execPath, [...execArgv, cli, ...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.on("data", (d) => (stdout += d));
  const done = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr: () => stderr, stdout: () => stdout })));
  return { child, done, stderr: () => stderr };
}

/** Pids of every descendant of `pid` (Linux /proc), or [] where there is no /proc. */
export function descendants(pid) {
  if (!existsSync("/proc/self/stat")) return [];
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // the process ended meanwhile
    }
  }
  const out = [];
  const queue = [pid];
  while (queue.length) for (const child of children.get(queue.shift()) ?? []) out.push(child), queue.push(child);
  return out;
}

export function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The JSON header of a safetensors file, read independently of the project's parser. */
export function safetensorsHeader(file) {
  const bytes = readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + length).toString("utf8"));
}

export const progressOf = (file) => JSON.parse(safetensorsHeader(file).__metadata__.progress);

/** Waits until `file` exists while `run` (startCli's) goes on; fails if the run ends first or after `ms`. */
export async function waitFor(file, run, ms = 5 * 60_000) {
  let exited = null;
  run.done.then((r) => (exited = r));
  const deadline = Date.now() + ms;
  while (!existsSync(file)) {
    if (exited) throw new Error(`the run ended (code ${exited.code}) before ${file} appeared:\n${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no ${file} after ${ms / 1000} s:\n${run.stderr()}`);
    await sleep(50);
  }
}
