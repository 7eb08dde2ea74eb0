// A small, dependency-free command-line parser driven by a declarative option
// table. The same table gives the parsing rules, the defaults, the ranges and
// the --help text, so they cannot drift apart. `npm start` uses trainOptions
// below; `npm run bench` and `npm run reproduce` pass tables of their own.
//
// Accepted forms: `--name value`, `--name=value`, and `--flag` for booleans
// (a `-x` alias where the table gives one). Everything else is a UsageError
// with a one-line message naming the flag and what it accepts; the runner
// prints it with a usage hint and exits with code 2.

import { presets, makeConfig, type OcganConfig } from "../src/ocgan/config.js";

export class UsageError extends Error {
  override name = "UsageError";
}

interface OptionBase {
  /** The long name, without dashes: "mining-lr" is given as --mining-lr and read as miningLr. */
  name: string;
  /** One line for --help. */
  help: string;
  /** A one-letter alias, given as -x. */
  alias?: string;
}

export interface NumberOption extends OptionBase {
  type: "number";
  /** Absent: the option's value is undefined unless given (the runner decides, e.g. from a preset). */
  default?: number;
  integer?: boolean;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  /** Require value > min instead of >= min. */
  minExclusive?: boolean;
  /** Require value < max instead of <= max. */
  maxExclusive?: boolean;
  /** Shown in --help instead of the default, when there is none (e.g. "from --preset"). */
  defaultText?: string;
}

export interface StringOption extends OptionBase {
  type: "string";
  default?: string;
  /** When present, the value must be one of these. */
  choices?: readonly string[];
  defaultText?: string;
  /** Placeholder in --help, e.g. "DIR". */
  metavar?: string;
}

export interface FlagOption extends OptionBase {
  type: "flag";
}

export type OptionSpec = NumberOption | StringOption | FlagOption;

/** "mining-lr" -> "miningLr", at the type level. */
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

type ValueOf<O extends OptionSpec> = O extends FlagOption
  ? boolean
  : O extends NumberOption
    ? O extends { default: number } ? number : number | undefined
    : O extends { choices: readonly (infer C)[] }
      ? O extends { default: string } ? C : C | undefined
      : O extends { default: string } ? string : string | undefined;

/** The parsed values of a table: one camelCase key per option. */
export type ParsedArgs<T extends readonly OptionSpec[]> = {
  [O in T[number] as CamelCase<O["name"]>]: ValueOf<O>;
};

/** Keeps an option table's literal types (names, choices, defaults) for ParsedArgs. */
export function defineOptions<const T extends readonly OptionSpec[]>(options: T): T {
  return options;
}

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A plain decimal number: no hex, no "Infinity", no empty string (which Number() would read as 0). */
const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function describeAccepted(option: NumberOption | StringOption): string {
  if (option.type === "string") {
    return option.choices ? `one of ${option.choices.join(", ")}` : "a value";
  }
  const kind = option.integer ? "an integer" : "a number";
  const { min, max, minExclusive, maxExclusive } = option;
  if (min !== undefined && max !== undefined) {
    return minExclusive || maxExclusive ? `${kind} ${minExclusive ? ">" : ">="} ${min} and ${maxExclusive ? "<" : "<="} ${max}` : `${kind} from ${min} to ${max}`;
  }
  if (min !== undefined) {
    if (option.integer && min === 1 && !minExclusive) return "a positive integer";
    if (min === 0 && minExclusive) return `a positive ${option.integer ? "integer" : "number"}`;
    return `${kind} ${minExclusive ? ">" : ">="} ${min}`;
  }
  if (max !== undefined) return `${kind} <= ${max}`;
  return kind;
}

function convert(option: NumberOption | StringOption, raw: string): number | string {
  const accepted = () => new UsageError(`--${option.name} expects ${describeAccepted(option)}, got ${JSON.stringify(raw)}`);
  if (option.type === "string") {
    if (option.choices && !option.choices.includes(raw)) throw accepted();
    if (!option.choices && raw === "") throw accepted();
    return raw;
  }
  if (!NUMBER_PATTERN.test(raw)) throw accepted();
  const value = Number(raw);
  if (!Number.isFinite(value)) throw accepted();
  if (option.integer && !Number.isSafeInteger(value)) throw accepted();
  if (option.min !== undefined && (option.minExclusive ? !(value > option.min) : !(value >= option.min))) throw accepted();
  if (option.max !== undefined && (option.maxExclusive ? !(value < option.max) : !(value <= option.max))) throw accepted();
  return value;
}

/**
 * Parses `argv` (without the node and script paths) against `options`.
 * Options not given take their default (undefined where the table has none;
 * false for flags).
 * @throws UsageError for an unknown flag, a positional argument, a missing or
 *   malformed value, a value out of range, a flag given a value, or an option
 *   given twice.
 */
export function parseArgs<const T extends readonly OptionSpec[]>(options: T, argv: readonly string[]): ParsedArgs<T> {
  const byName = new Map<string, OptionSpec>();
  for (const option of options) {
    byName.set(`--${option.name}`, option);
    if (option.alias) byName.set(`-${option.alias}`, option);
  }
  const values: Record<string, unknown> = {};
  for (const option of options) values[camelCase(option.name)] = option.type === "flag" ? false : option.default;
  const seen = new Set<string>();

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-") || arg === "-" || arg === "--") {
      throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: options start with --`);
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flagText = eq >= 0 ? arg.slice(0, eq) : arg;
    const option = byName.get(flagText);
    if (!option) throw new UsageError(`unknown option ${JSON.stringify(flagText)} (see --help)`);
    if (seen.has(option.name)) throw new UsageError(`--${option.name} is given more than once`);
    seen.add(option.name);

    if (option.type === "flag") {
      if (eq >= 0) throw new UsageError(`--${option.name} is a switch and takes no value, got ${JSON.stringify(arg.slice(eq + 1))}`);
      values[camelCase(option.name)] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) {
      raw = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      // A following "--x" is the next option, not this one's value; "-1" is a value.
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new UsageError(`--${option.name} needs a value: ${describeAccepted(option)}`);
      }
      raw = next;
      i++;
    }
    values[camelCase(option.name)] = convert(option, raw);
  }
  return values as ParsedArgs<T>;
}

export interface HelpText {
  /** e.g. "npm start -- [options]" */
  usage: string;
  /** A sentence or two above the options. */
  description?: string;
}

/** The --help text for a table: usage, description, then one line per option. */
export function formatHelp(options: readonly OptionSpec[], text: HelpText): string {
  const rows = options.map((option) => {
    let left = `${option.alias ? `-${option.alias}, ` : "    "}--${option.name}`;
    if (option.type === "number") left += option.integer ? " N" : " X";
    else if (option.type === "string") left += ` ${option.choices ? option.choices.join("|") : (option.metavar ?? "VALUE")}`;
    let right = option.help;
    if (option.type !== "flag") {
      const shown = option.default !== undefined ? String(option.default) : option.defaultText;
      if (shown !== undefined) right += ` (default: ${shown})`;
      if (option.type === "number" && (option.min !== undefined || option.max !== undefined)) right += ` [${describeAccepted(option)}]`;
    }
    return [left, right] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = [`usage: ${text.usage}`, ""];
  if (text.description) lines.push(text.description, "");
  lines.push("options:");
  for (const [left, right] of rows) lines.push(`  ${left.padEnd(width)}${right}`);
  return lines.join("\n");
}

/**
 * "64" when every preset agrees, else "from --preset: paper 30, fast 15, tiny 1",
 * read from the presets themselves so the help cannot drift from them.
 */
function presetDefault(key: keyof OcganConfig): string {
  const values = Object.values(presets).map((p) => `${p.preset} ${String(p[key])}`);
  const distinct = new Set(Object.values(presets).map((p) => String(p[key])));
  return distinct.size === 1 ? `${[...distinct][0]}, from --preset` : `from --preset: ${values.join(", ")}`;
}

/**
 * The options of `npm start` (training OCGAN or an ablation on one digit).
 * Hyperparameters have no default here: an option not given is undefined and
 * the preset's value applies (src/ocgan/config.ts), so a preset such as tiny
 * keeps its own batch size unless --batch says otherwise.
 */
export const trainOptions = defineOptions([
  { name: "digit", type: "number", integer: true, min: 0, max: 9, default: presets.fast.digit, help: "the in-class digit" },
  { name: "preset", type: "string", choices: ["paper", "fast", "wide", "tiny"], default: "fast", help: "network widths and schedule: paper (C=64, d=16), fast (C=8), wide (C=16), tiny (smoke test)" },
  { name: "model", type: "string", choices: ["ocgan", "ae", "dae"], default: "ocgan", help: "full OCGAN, or the plain / denoising auto-encoder baseline" },
  { name: "epochs", type: "number", integer: true, min: 1, defaultText: presetDefault("epochs"), help: "the most epochs to train; given without --patience, exactly this many (a quick look)" },
  { name: "patience", type: "number", integer: true, min: 0, defaultText: presetDefault("patience"), help: "stop once the in-class validation MSE has not improved for N epochs (0: train all --epochs); the best epoch is evaluated" },
  { name: "base", type: "number", integer: true, min: 1, defaultText: presetDefault("base"), help: "base width C of En, De and Cl" },
  { name: "visual-base", type: "number", integer: true, min: 1, defaultText: presetDefault("visualBase"), help: "base width of the visual discriminator Dv" },
  { name: "latent", type: "number", integer: true, min: 1, defaultText: presetDefault("latent"), help: "latent dimension d" },
  { name: "batch", type: "number", integer: true, min: 1, defaultText: presetDefault("batch"), help: "batch size" },
  { name: "lr", type: "number", min: 0, minExclusive: true, defaultText: presetDefault("lr"), help: "Adam learning rate" },
  { name: "beta1", type: "number", min: 0, max: 1, maxExclusive: true, defaultText: presetDefault("beta1"), help: "Adam's first-moment decay" },
  { name: "beta2", type: "number", min: 0, max: 1, maxExclusive: true, defaultText: presetDefault("beta2"), help: "Adam's second-moment decay" },
  { name: "lambda", type: "number", min: 0, defaultText: presetDefault("lambda"), help: "weight of the reconstruction MSE in the generator loss" },
  { name: "latent-weight", type: "number", min: 0, defaultText: presetDefault("latentWeight"), help: "weight of the latent adversarial term in the generator loss (the authors' code: 10)" },
  { name: "sigma", type: "number", min: 0, defaultText: presetDefault("sigma"), help: "std of the input noise n, on the [-1, 1] scale" },
  { name: "mining-steps", type: "number", integer: true, min: 0, defaultText: presetDefault("miningSteps"), help: "gradient steps of informative-negative mining (0 = off)" },
  { name: "mining-lr", type: "number", min: 0, minExclusive: true, defaultText: presetDefault("miningLr"), help: "step size of informative-negative mining" },
  { name: "warmup-epochs", type: "number", integer: true, min: 0, defaultText: presetDefault("warmupEpochs"), help: "epochs before mining starts" },
  { name: "no-latent-disc", type: "flag", help: "train without the latent discriminator Dl" },
  { name: "no-visual-disc", type: "flag", help: "train without the visual discriminator Dv" },
  { name: "no-classifier", type: "flag", help: "train without the classifier Cl (and so without mining)" },
  { name: "no-baseline", type: "flag", help: "with --model ocgan, skip training the plain auto-encoder beside it" },
  { name: "seed", type: "number", integer: true, min: 0, max: 4294967295, default: presets.fast.seed, help: "seed for weights, noise, batch order and the protocol-1 draw" },
  { name: "out", type: "string", metavar: "DIR", defaultText: "runs/<model>-digit<d>-seed<s>", help: "folder for checkpoints, samples and the report" },
  { name: "resume", type: "string", metavar: "CKPT", help: "continue from this checkpoint (.safetensors); from another run's folder, its best.safetensors and losses.jsonl come along (--out must not hold a run)" },
  { name: "runner", type: "string", choices: ["chromium", "node"], default: "chromium", help: "where WebGPU runs: headless Chromium, or in-process on Dawn's WebGPU for Node (the webgpu package)" },
  { name: "browser-ws", type: "string", metavar: "URL", help: "with --runner chromium: connect to a Playwright browser server (ws://host:port/...) instead of launching Chromium; the page is served on 127.0.0.1 only, so that browser must run on this host or reach it through an SSH tunnel" },
  { name: "page-port", type: "number", integer: true, min: 0, max: 65535, default: 0, help: "port of the page server on 127.0.0.1 (0: any free port); fix it to forward it to a remote browser" },
  { name: "help", type: "flag", alias: "h", help: "print this help and exit" },
]);

export type TrainArgs = ParsedArgs<typeof trainOptions>;

/** The run's config: the preset's, with every option given on the command line applied. */
export function configFromArgs(args: TrainArgs, model = args.model): OcganConfig {
  const overrides: Partial<OcganConfig> = { model: model as OcganConfig["model"], digit: args.digit, seed: args.seed };
  const numeric = ["epochs", "patience", "base", "visualBase", "latent", "batch", "lr", "beta1", "beta2", "lambda", "latentWeight", "sigma", "miningSteps", "miningLr", "warmupEpochs"] as const;
  for (const key of numeric) {
    const value = args[key];
    if (typeof value === "number") overrides[key] = value;
  }
  // --epochs alone asks for exactly that many epochs (a quick look), not for a cap the preset's patience may cut short.
  if (args.epochs !== undefined && args.patience === undefined) overrides.patience = 0;
  if (args.noLatentDisc) overrides.latentDisc = false;
  if (args.noVisualDisc) overrides.visualDisc = false;
  if (args.noClassifier) overrides.classifier = false;
  return makeConfig(args.preset, overrides);
}
