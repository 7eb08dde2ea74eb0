// Kernels chosen by measurement. Where an op has several kernels that compute
// the same thing (its variants), the engine times them on the adapter at hand,
// once per shape, and keeps the fastest.
//
// Ops record dispatches synchronously and timing needs the GPU to finish, so
// the two happen apart: an op meeting a shape for the first time runs its
// default variant and leaves a trial behind; `tune()` times every variant of
// every pending trial and stores the choices, which the op uses from then on.
// Training tunes before its first iteration (src/ocgan/experiment.ts), so a
// whole run computes with one set of kernels. The choices can be exported and
// imported: a run that resumes, or another process on the same adapter, then
// computes with the same kernels, bit for bit.

/** One op's shape waiting to be timed. */
interface Trial {
  family: string;
  shape: string;
  variants: readonly string[];
  /** Records the op once with `variant` on scratch inputs of the shape (and frees them). */
  run(variant: string): void;
}

export interface TuneResult {
  family: string;
  shape: string;
  chosen: string;
  /** Median milliseconds of one run of each variant. */
  ms: Record<string, number>;
}

/** Runs each of `records` repeatedly and returns the milliseconds of one run of each (its fastest round). */
export type Timer = (records: (() => void)[]) => Promise<number[]>;

/**
 * A choice holds for the candidates it was timed among: when a kernel family
 * gains a variant, the stored choices of its shapes no longer match, and the
 * shapes are timed again with the new one among them.
 */
const key = (family: string, shape: string, variants: readonly string[]) => `${family} ${shape} among ${variants.join(",")}`;

export class Tuner {
  private choices = new Map<string, string>();
  private pending = new Map<string, Trial>();
  private forced = new Map<string, string>();
  private results: TuneResult[] = [];

  /**
   * The variant of `family` to run at `shape`: the forced one, else the stored
   * choice, else the first of `variants` (the default), leaving a trial for tune().
   * `runnable` lists what may be forced, where it is more than what is worth
   * timing at this shape (a variant that runs any shape but wins only some).
   */
  pick(family: string, shape: string, variants: readonly string[], run: (variant: string) => void, runnable: readonly string[] = variants): string {
    const forced = this.forced.get(family);
    if (forced !== undefined) {
      if (!runnable.includes(forced)) throw new Error(`${family}: no kernel variant '${forced}' (variants: ${runnable.join(", ")})`);
      return forced;
    }
    const k = key(family, shape, variants);
    const chosen = this.choices.get(k);
    if (chosen !== undefined && variants.includes(chosen)) return chosen;
    if (variants.length > 1 && !this.pending.has(k)) this.pending.set(k, { family, shape, variants, run });
    return variants[0];
  }

  /** Makes every later call of `family` use `variant` (tests and benchmarks); null goes back to choosing. */
  force(family: string, variant: string | null): void {
    if (variant === null) this.forced.delete(family);
    else this.forced.set(family, variant);
  }

  /** Shapes met but not timed yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Times every variant of every pending trial with `time` and stores the fastest. */
  async tune(time: Timer, log?: (line: string) => void): Promise<TuneResult[]> {
    const trials = [...this.pending.values()];
    this.pending.clear();
    const done: TuneResult[] = [];
    for (const trial of trials) {
      const times = await time(trial.variants.map((variant) => () => trial.run(variant)));
      const ms = Object.fromEntries(trial.variants.map((v, i) => [v, times[i]]));
      const chosen = trial.variants.reduce((best, v) => (ms[v] < ms[best] ? v : best));
      this.choices.set(key(trial.family, trial.shape, trial.variants), chosen);
      const result = { family: trial.family, shape: trial.shape, chosen, ms };
      done.push(result);
      log?.(`${trial.family} ${trial.shape}: ${trial.variants.map((v) => `${v} ${ms[v].toFixed(2)} ms`).join(", ")} -> ${chosen}`);
    }
    this.results.push(...done);
    return done;
  }

  /** Every timing made in this process, in order. */
  get timings(): readonly TuneResult[] {
    return this.results;
  }

  /** The stored choices, "family shape among variants" -> variant. */
  exportChoices(): Record<string, string> {
    return Object.fromEntries(this.choices);
  }

  /** Adds stored choices (from exportChoices, maybe of an earlier process); those timed among other candidates than an op now has are not used. */
  importChoices(choices: Record<string, string>): void {
    for (const [k, v] of Object.entries(choices)) {
      if (typeof v !== "string") throw new Error(`kernel choice '${k}' must name a variant, got ${JSON.stringify(v)}`);
      this.choices.set(k, v);
      this.pending.delete(k);
    }
  }
}
