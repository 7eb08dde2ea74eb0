// File writes shared by the command line (cli/), the results renderer and
// their tests: plain ES modules, so `node scripts/...` runs them unbundled.
import { mkdirSync, writeFileSync, renameSync } from "node:fs";
import { dirname } from "node:path";

/** Writes through a temporary file and a rename, so a kill mid-write leaves the old file whole. */
export function writeAtomic(file, data) {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, file);
}
