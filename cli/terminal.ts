// What the command lines (npm start, npm run reproduce) print alike: durations,
// and the one-line error that bad input ends with.

/** "4m05s", or "1h02m" from an hour on (one definition, shared with scripts/render-results.mjs). */
export { formatDuration } from "../scripts/duration.mjs";

/** The usage line of `command` (as typed, e.g. "npm start"). */
export function usageLine(command: string): string {
  return `${command} -- [options]`;
}

/** Bad input: the error, the usage line and where the help is, then exit code 2, before anything is started or written. */
export function usageError(command: string, message: string): never {
  process.stderr.write(`error: ${message}\nusage: ${usageLine(command)} (see ${command} -- --help)\n`);
  process.exit(2);
}
