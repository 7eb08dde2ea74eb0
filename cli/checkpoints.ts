// What npm start and npm run reproduce read back from a run folder's checkpoints.
import { readFileSync } from "node:fs";
import { readCheckpointHeader } from "../src/ocgan/checkpoint.js";

/** Epochs done by the checkpoint `file`, parsed whole; null when it is missing or damaged. */
export function checkpointEpoch(file: string): number | null {
  try {
    return readCheckpointHeader(readFileSync(file), file).progress.epoch;
  } catch {
    return null;
  }
}
