// The OCGAN configs the benchmark measures, by name: the presets of
// src/ocgan/config.ts, and c16 (C = 16, Dv base 12, d = 16: the network
// engine-notes.md timed TensorFlow.js on). Every one runs at the benchmark's
// batch size (64 unless --batch says otherwise), whatever batch the preset
// trains with, so figures compare across presets and with TF.js.
import { makeConfig, type OcganConfig } from "../src/ocgan/config.js";

export const BENCH_CONFIGS = ["fast", "paper", "tiny", "c16"];

export function namedConfig(name: string, batch: number): OcganConfig {
  if (name === "c16") return { ...makeConfig("wide", { batch }), preset: "c16" };
  return makeConfig(name, { batch });
}
