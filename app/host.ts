// What the training page gives runExperiment (src/ocgan/experiment.ts) in
// place of the command line's run folder: the files of a run (checkpoints,
// the loss log, figures, result.json) in memory for the page's lifetime, and
// the engine's kernel choices in localStorage, per adapter, as the command
// line keeps them in its cache file (a reloaded page that resumes a
// checkpoint then computes with the same kernels).
import type { KernelChoiceStore } from "../src/ocgan/experiment.js";

/** A run folder in memory. Appended files (the loss log) are kept as lines, so an append costs no copy. */
export class MemoryFolder {
  private readonly files = new Map<string, Uint8Array | string[]>();

  write(path: string, data: Uint8Array | string): void {
    this.files.set(path, typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  append(path: string, line: string): void {
    const existing = this.files.get(path);
    if (Array.isArray(existing)) {
      existing.push(line);
      return;
    }
    const lines = existing ? new TextDecoder().decode(existing).split("\n").filter((l) => l !== "") : [];
    lines.push(line);
    this.files.set(path, lines);
  }

  read(path: string): Uint8Array | null {
    const file = this.files.get(path);
    if (!Array.isArray(file)) return file ?? null;
    return new TextEncoder().encode(file.map((line) => line + "\n").join(""));
  }

  /** Forgets every file under `folder/` (a run that starts afresh). */
  clear(folder: string): void {
    for (const path of [...this.files.keys()]) if (path.startsWith(`${folder}/`)) this.files.delete(path);
  }
}

/** The kernel choices of `adapter` in this browser's localStorage; without localStorage, none are kept. */
export function localKernelChoices(adapter: string): KernelChoiceStore {
  const key = `webgpu-ocgan kernel choices: ${adapter}`;
  return {
    load: async () => {
      try {
        const parsed = JSON.parse(localStorage.getItem(key) ?? "null");
        return parsed && typeof parsed === "object" ? parsed : null;
      } catch {
        return null; // damaged or unavailable: timed anew
      }
    },
    save: async (choices) => {
      try {
        localStorage.setItem(key, JSON.stringify(choices));
      } catch {
        // storage full or switched off: the choices last as long as the page
      }
    },
  };
}
