// cli/args.ts: parsing against the option table, defaults, every kind of
// usage error, both value forms, --help text, and a bounded fuzz.
import { test, assert, assertRejects } from "./harness.js";
import { mulberry32 } from "./random.js";
import { parseArgs, formatHelp, trainOptions, defineOptions, configFromArgs, UsageError, type TrainArgs } from "../cli/args.js";
import { presets } from "../src/ocgan/config.js";

function parse(...argv: string[]): TrainArgs {
  return parseArgs(trainOptions, argv);
}

test("args: defaults when nothing is given", () => {
  const a = parse();
  assert(a.digit === presets.fast.digit && a.seed === presets.fast.seed, "digit and seed defaults are the presets'");
  assert(a.preset === "fast" && a.model === "ocgan", "preset and model defaults");
  const presetDecided = [a.epochs, a.batch, a.lr, a.lambda, a.sigma, a.miningSteps, a.miningLr, a.warmupEpochs];
  assert(presetDecided.every((v) => v === undefined), "hyperparameters not given are undefined, so the preset's apply");
  assert(a.out === undefined && a.resume === undefined, "no out/resume");
  assert(!a.noLatentDisc && !a.noVisualDisc && !a.noClassifier && !a.noBaseline && !a.help, "flags default to false");
  const presetOption = trainOptions.find((o) => o.name === "preset");
  assert(presetOption?.type === "string" && presetOption.choices?.join() === Object.keys(presets).join(), "--preset choices are the presets");
});

test("args: every option, in --flag value and --flag=value forms", () => {
  const a = parse(
    "--digit", "3", "--epochs=20", "--preset", "paper", "--model=dae", "--seed", "7", "--out", "runs/x",
    "--resume=ckpt.safetensors", "--batch", "32", "--lr", "1e-3", "--lambda=500", "--sigma", "0.1",
    "--mining-steps", "0", "--mining-lr=0.05", "--warmup-epochs", "2", "--no-latent-disc", "--no-visual-disc", "--no-classifier", "--no-baseline",
    "--patience", "5", "--base", "16", "--visual-base=12", "--latent", "32", "--beta1", "0.9", "--beta2=0.99",
  );
  assert(a.patience === 5 && a.base === 16 && a.visualBase === 12 && a.latent === 32 && a.beta1 === 0.9 && a.beta2 === 0.99, "widths, patience and betas");
  assert(a.digit === 3 && a.epochs === 20 && a.preset === "paper" && a.model === "dae" && a.seed === 7, "first options");
  assert(a.out === "runs/x" && a.resume === "ckpt.safetensors", "strings");
  assert(a.batch === 32 && a.lr === 1e-3 && a.lambda === 500 && a.sigma === 0.1, "numbers");
  assert(a.miningSteps === 0 && a.miningLr === 0.05 && a.warmupEpochs === 2, "mining options");
  assert(a.noLatentDisc && a.noVisualDisc && a.noClassifier && a.noBaseline, "flags");
  assert(parse("-h").help && parse("--help").help, "-h and --help");
  assert(parse("--lambda", "0").lambda === 0 && parse("--sigma=0").sigma === 0, "zero is allowed where min is inclusive");
  assert(parse("--out=a=b").out === "a=b", "only the first = splits");
});

test("args: each error is a one-line UsageError naming the flag and what it accepts", async () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /unknown option "--bogus"/],
    [["--digit", "10"], /--digit expects an integer from 0 to 9, got "10"/],
    [["--digit", "-1"], /--digit expects an integer from 0 to 9, got "-1"/],
    [["--digit", "2.5"], /--digit expects an integer from 0 to 9/],
    [["--epochs", "ten"], /--epochs expects a positive integer, got "ten"/],
    [["--epochs", "0"], /--epochs expects a positive integer, got "0"/],
    [["--epochs", "-3"], /--epochs expects a positive integer, got "-3"/],
    [["--epochs="], /--epochs expects a positive integer, got ""/],
    [["--batch", "0"], /--batch expects a positive integer, got "0"/],
    [["--batch", "0x10"], /--batch expects a positive integer, got "0x10"/],
    [["--lr", "0"], /--lr expects a positive number, got "0"/],
    [["--lr", "Infinity"], /--lr expects a positive number/],
    [["--sigma", "-0.1"], /--sigma expects a number >= 0/],
    [["--beta2", "1"], /--beta2 expects a number >= 0 and < 1, got "1"/],
    [["--patience", "1.5"], /--patience expects an integer >= 0/],
    [["--latent", "0"], /--latent expects a positive integer/],
    [["--preset", "huge"], /--preset expects one of paper, fast, wide, tiny, got "huge"/],
    [["--model", "vae"], /--model expects one of ocgan, ae, dae/],
    [["--digit"], /--digit needs a value: an integer from 0 to 9/],
    [["--digit", "--epochs", "3"], /--digit needs a value/],
    [["--no-classifier=yes"], /--no-classifier is a switch and takes no value/],
    [["--digit", "1", "--digit=2"], /--digit is given more than once/],
    [["3"], /unexpected argument "3"/],
    [["--out="], /--out expects a value, got ""/],
  ];
  for (const [argv, pattern] of cases) {
    const error = await assertRejects(() => parse(...argv), pattern, argv.join(" "));
    assert(error instanceof UsageError, `${argv.join(" ")}: ${error.name} is not a UsageError`);
    assert(!error.message.includes("\n"), `${argv.join(" ")}: the message is one line`);
  }
});

test("args: --help text lists every option with its default and range", () => {
  const help = formatHelp(trainOptions, { usage: "npm start -- [options]", description: "Train OCGAN on one digit." });
  assert(help.startsWith("usage: npm start -- [options]\n"), "usage line first");
  for (const option of trainOptions) assert(help.includes(`--${option.name}`), `--${option.name} is listed`);
  assert(new RegExp(`--digit N\\s+the in-class digit \\(default: ${presets.fast.digit}\\) \\[an integer from 0 to 9\\]`).test(help), `digit line in\n${help}`);
  assert(/--preset paper\|fast\|wide\|tiny/.test(help), "choices shown");
  assert(/--epochs N\s+the most epochs to train; .*\(default: from --preset: paper \d+, fast \d+, wide \d+, tiny \d+\)/.test(help), `epochs default text in\n${help}`);
  assert(/--patience N\s+stop once the in-class validation MSE has not improved for N epochs .*\(default: from --preset: paper 20, fast 20, wide 20, tiny 0\) \[an integer >= 0\]/.test(help), `patience line in\n${help}`);
  assert(/--beta1 X\s+Adam's first-moment decay \(default: 0\.5, from --preset\) \[a number >= 0 and < 1\]/.test(help), `beta1 line in\n${help}`);
  assert(/--lambda X\s+weight of the reconstruction MSE .*\(default: 10, from --preset\)/.test(help), "a default all presets share");
  assert(/--lr X\s+Adam learning rate .*\(default: from --preset: paper 0\.0002, fast 0\.001, wide 0\.001, tiny 0\.0002\)/.test(help), `lr defaults per preset in\n${help}`);
  assert(help.includes("-h, --help"), "alias shown");
});

test("args: a generic table (as bench and reproduce use) parses with its own types", () => {
  const table = defineOptions([
    { name: "iterations", type: "number", integer: true, min: 1, default: 10, help: "timed iterations" },
    { name: "filter", type: "string", help: "run only matching benchmarks" },
    { name: "json", type: "flag", help: "print JSON" },
  ]);
  const a = parseArgs(table, ["--iterations", "5", "--json"]);
  const iterations: number = a.iterations; // typed: number (has a default)
  const filter: string | undefined = a.filter; // typed: string | undefined
  assert(iterations === 5 && filter === undefined && a.json === true, "values");
  let threw = false;
  try {
    parseArgs(table, ["--digit", "3"]);
  } catch (error) {
    threw = error instanceof UsageError;
  }
  assert(threw, "options of another table are unknown here");
});

test("args: fuzz, 3000 random argv arrays throw nothing but UsageError", () => {
  const random = mulberry32(2024);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const flags = [...trainOptions.map((o) => `--${o.name}`), "-h", "-x", "--", "-", "--=", "--digit=", "---digit", "--no-", "--DIGIT", "--__proto__", "--constructor", "--toString"];
  const values = ["", "0", "1", "9", "10", "-1", "1e3", "2e-4", ".5", "5.", "NaN", "Infinity", "0x1f", "paper", "tiny", "ae", "x=y", "=", " ", "é", "1_000", "9007199254740993", "1e400", "--", "-5e-1"];
  for (let round = 0; round < 3000; round++) {
    const argv: string[] = [];
    const length = Math.floor(random() * 6);
    for (let k = 0; k < length; k++) {
      const r = random();
      if (r < 0.45) argv.push(pick(flags));
      else if (r < 0.75) argv.push(pick(values));
      else argv.push(`${pick(flags)}=${pick(values)}`);
    }
    try {
      const parsed = parse(...argv);
      assert(parsed.digit >= 0 && parsed.digit <= 9 && Number.isInteger(parsed.digit), `digit in range for ${JSON.stringify(argv)}`);
      assert((parsed.batch ?? 1) >= 1 && (parsed.epochs ?? 1) >= 1, `batch/epochs in range for ${JSON.stringify(argv)}`);
    } catch (error) {
      if (!(error instanceof UsageError)) {
        throw new Error(`argv ${JSON.stringify(argv)} threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      }
    }
  }
});

test("args: the config of a command line; --epochs alone trains exactly that many epochs, with --patience it is a cap", () => {
  const config = (...argv: string[]) => configFromArgs(parse(...argv));
  const fast = config();
  assert(fast.epochs === presets.fast.epochs && fast.patience === presets.fast.patience && fast.patience > 0, "the preset trains to convergence by default");
  const look = config("--epochs", "3");
  assert(look.epochs === 3 && look.patience === 0, `--epochs alone: a fixed length (${JSON.stringify(look)})`);
  const capped = config("--epochs", "50", "--patience", "4");
  assert(capped.epochs === 50 && capped.patience === 4, "--epochs with --patience: a cap");
  const wide = config("--base", "16", "--visual-base", "16", "--latent", "32", "--beta1", "0.9", "--beta2", "0.99", "--model", "ae");
  assert(wide.base === 16 && wide.visualBase === 16 && wide.latent === 32 && wide.beta1 === 0.9 && wide.beta2 === 0.99, "every hyperparameter reaches the config");
  assert(wide.model === "ae" && wide.sigma === 0 && !wide.classifier, "the AE's switches still apply");
});
