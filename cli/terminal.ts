// What the command lines (npm start, npm run reproduce) print alike: durations,
// and the one-line error that bad input ends with.

/** "4m05s", or "1h02m" from an hour on. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** The usage line of `command` (as typed, e.g. "npm start"). */
export function usageLine(command: string): string {
  return `${command} -- [options]`;
}

/** Bad input: the error, the usage line and where the help is, then exit code 2, before anything is started or written. */
export function usageError(command: string, message: string): never {
  process.stderr.write(`error: ${message}\nusage: ${usageLine(command)} (see ${command} -- --help)\n`);
  process.exit(2);
}
