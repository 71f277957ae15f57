import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  availableCores,
  type ExportFormat,
  envThreads,
  flagOf,
  MAX_THREADS_PER_CORE,
  nameOptions,
  type OptionValue,
  PRESETS,
  type PresetName,
  parseThreads,
  resolveConfig,
  TRAIN_OPTION_INFO,
  type TrainConfigInput,
  type TrainOptionName,
} from '@sprout/trainer';
import { Command, InvalidArgumentError, Option } from 'commander';

/** Where this package keeps its example files (beside dist/ and src/ alike), wherever it is installed. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../examples/', import.meta.url));

/** This package's version (from its package.json, beside dist/ and src/ alike). */
export const VERSION: string = createRequire(import.meta.url)('../package.json').version;

/** What the user asked for: a training run (or its --continue-training / --evaluate forms)… */
export interface TrainRequest {
  mode: 'train' | 'continue' | 'evaluate';
  json: boolean;
  /** Replace the run already in --out. */
  overwrite: boolean;
  /** --out was given (else a new run gets its own directory under runs/, linked as runs/latest). */
  outGiven: boolean;
  /** Only the options given on the command line (so a resumed run keeps its saved ones). */
  config: TrainConfigInput;
  /** The flag typed for an option where it is not the option's own (`--final-hidden-size` for hidden). */
  typedFlags: Partial<Record<TrainOptionName, string>>;
}

/** …classifying image files with a run's model… */
export interface PredictRequest {
  mode: 'predict';
  json: boolean;
  outDir: string;
  files: string[];
  top: number;
  threads?: 'auto' | number;
}

/** …or exporting a run's model. */
export interface ExportRequest {
  mode: 'export';
  json: boolean;
  outDir: string;
  format: ExportFormat;
  to: string;
  int8: boolean;
  overwrite: boolean;
}

/** …or searching hyperparameters. */
export interface TuneRequest {
  mode: 'tune';
  json: boolean;
  space: string;
  outDir: string;
  workers: number;
  /** Kernel threads per trial (default: the cores shared among the workers). */
  threads?: 'auto' | number;
  /** A redis:// URL: trials become BullMQ jobs there, for `sprout worker` processes. */
  queue?: string;
}

/** …or training a distributed tune's trials. */
export interface WorkerRequest {
  mode: 'worker';
  queue: string;
  concurrency: number;
  threads?: 'auto' | number;
  dataDir?: string;
}

export type CliRequest = TrainRequest | PredictRequest | ExportRequest | TuneRequest | WorkerRequest;

const defaults = resolveConfig({});

const integer = (flag: string) => (value: string) => {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${flag} must be an integer, got "${value}"`);
  return Number(value);
};
const widths = (flag: string) => (value: string) => {
  if (!/^\d+(,\d+)*$/.test(value))
    throw new InvalidArgumentError(
      `${flag} must be widths separated by commas (e.g. 512,256), got "${value}"`,
    );
  return value.split(',').map(Number);
};
const number = (flag: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError(`${flag} must be a number, got "${value}"`);
  return n;
};

/**
 * `--threads`: auto or a count ≥ 1; a count above MAX_THREADS_PER_CORE per core is refused here
 * (the library would clamp it) so that a typo like 400 for 4 is not silently something else.
 */
const threads = (flag: string) => (value: string) => {
  let parsed: 'auto' | number;
  try {
    parsed = parseThreads(value, flag);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  const cores = availableCores();
  const most = MAX_THREADS_PER_CORE * cores;
  if (parsed !== 'auto' && parsed > most)
    throw new InvalidArgumentError(
      `${flag} ${parsed} is more than ${MAX_THREADS_PER_CORE} threads per core (this process may use ${cores} cores): give at most ${most}, or auto`,
    );
  return parsed;
};
const THREADS_HELP = `${TRAIN_OPTION_INFO.threads.help} (${availableCores()} cores here)`;

/** How each kind of value is read from its flag (choices and text are taken as given). */
const PARSERS: Partial<Record<OptionValue, (flag: string) => (value: string) => unknown>> = {
  integer,
  number,
  widths,
  threads,
};

/**
 * The original NumPy script's one-layer width flags: the command line's shorthand for
 * `hidden: [n]` and `initialHidden: [n]` (the library takes widths as lists only). --help lists
 * each before the list flag it stands for.
 */
const WIDTH_SHORTHANDS = [
  {
    flag: '--initial-hidden-size <n>',
    option: 'initialHidden',
    help: 'hidden units at the start, one hidden layer (--initial-hidden n) (default: half of --final-hidden-size, 256)',
  },
  {
    flag: '--final-hidden-size <n>',
    option: 'hidden',
    help: 'hidden units after growth, one hidden layer (--hidden n) (default: 512)',
  },
] as const;

/** The training options that have a flag, in the registry's order (which is --help's). */
const FLAGGED = (Object.keys(TRAIN_OPTION_INFO) as TrainOptionName[]).filter(
  (name) => TRAIN_OPTION_INFO[name].flag !== undefined,
);

/** An option's help line: its other options named by their flags, and its default. */
function helpOf(name: TrainOptionName): string {
  const info = TRAIN_OPTION_INFO[name];
  const value = defaults[name];
  const shown = info.defaultShown ?? (Array.isArray(value) ? value.join(',') : String(value));
  const help = name === 'threads' ? THREADS_HELP : info.help;
  return nameOptions(`${help} (default: ${shown})`, flagName);
}

/** An option named as the user types it: its flag, or its name where it has none. */
function flagName(name: string): string {
  return flagOf(name) ?? name;
}

/** Each preset as its flags, for --help. */
function presetHelp(): string {
  return Object.entries(PRESETS)
    .map(([name, options]) => {
      const flags = Object.entries(options).map(
        ([k, v]) => `${flagOf(k)} ${Array.isArray(v) ? v.join(',') : v}`,
      );
      return `${name}: ${flags.length ? flags.join(' ') : 'the defaults'}`;
    })
    .join('; ');
}

/** The original NumPy script's underscore spellings (--batch_size) are accepted for every flag. */
function normaliseUnderscores(argv: string[]): string[] {
  return argv.map((a) =>
    a.startsWith('--') ? a.replace(/^--[^=]+/, (flag) => flag.replaceAll('_', '-')) : a,
  );
}

/** A commander program as every sprout command is set up: errors on one line, no process.exit. */
function newProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // One line, suggestions included ("(Did you mean --epochs?)").
      outputError: (s, write) => write(`sprout: ${s.trim().replace(/\s*\n\s*/g, ' ')}\n`),
    })
    .allowExcessArguments(false)
    .showSuggestionAfterError(true);
}

const COMMANDS_HELP = `
Commands (sprout <command> --help for each):
  train                      train a model (the default: \`sprout --epochs 3\` is \`sprout train --epochs 3\`)
  predict [options] <image…> classify PNG or PGM images with a run's model
  export [options]           export a run's model to TensorFlow.js, ONNX or int8
  evaluate [--out <dir>]     evaluate a run's saved model on its test set (= train --evaluate)
  continue [--out <dir>]     continue a run from its checkpoint (= train --continue-training)
  tune --space <file>        search hyperparameters (successive halving, chosen on dev only)
  worker --queue <url>       train the trials of tunes run with --queue (BullMQ on Redis)`;

/** Builds the training command (also used for --help). */
export function buildProgram(): Command {
  const program = newProgram(
    'sprout',
    'Train a growing MLP on MNIST (bundled) from chance to 98%+ test accuracy, or on your own CSV rows (--data FILE.csv --label COLUMN).',
  );
  program.usage('[train] [options]').addHelpText('after', COMMANDS_HELP);
  for (const name of FLAGGED) {
    const info = TRAIN_OPTION_INFO[name];
    const flag = info.flag as string;
    if (name === 'hidden')
      for (const shorthand of WIDTH_SHORTHANDS)
        program.addOption(
          new Option(shorthand.flag, shorthand.help).argParser(integer(shorthand.flag.split(' ')[0])),
        );
    if (info.value === 'switch') {
      program.addOption(new Option(flag, helpOf(name)));
      if (info.negatedHelp) program.addOption(new Option(flag.replace(/^--/, '--no-'), info.negatedHelp));
      continue;
    }
    const option = new Option(flag, helpOf(name));
    if (info.choices) option.choices(info.choices);
    const parser = PARSERS[info.value];
    if (parser) option.argParser(parser(flag.split(' ')[0]));
    program.addOption(option);
  }
  program
    .addOption(
      new Option(
        '--preset <name>',
        `a named set of options; flags given with it win (${presetHelp()})`,
      ).choices(Object.keys(PRESETS)),
    )
    .option('--continue-training', 'resume from the checkpoint in --out (alias --continue_training)')
    .option('--evaluate', 'evaluate the saved model in --out on its test set and save the metrics')
    .option('--overwrite', 'let a new run replace the run already in --out (default: refuse)')
    .option('--json', 'print the result as one JSON object on stdout; progress and logs go to stderr')
    .version(VERSION, '-v, --version', 'print the version');
  return program;
}

/** The backend env SPROUT_BACKEND asks for (as `--backend` would, which wins over it). */
function envBackend(): string {
  const value = process.env.SPROUT_BACKEND ?? '';
  if (!['auto', 'cpu', 'gpu'].includes(value))
    throw new UsageError(`SPROUT_BACKEND must be auto, cpu or gpu, got "${value}"`);
  return value;
}

/** SPROUT_THREADS as the library reads it (envThreads), its garbage a UsageError naming it. */
function envThreadsOrUndefined(): 'auto' | number | undefined {
  try {
    return envThreads();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A command line that parses but asks for something contradictory. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `sprout predict`. */
export function buildPredictProgram(): Command {
  return newProgram(
    'sprout predict',
    "Classify images (PNG or PGM, any size, either polarity) with a run's model, or the rows of CSV files with a model trained on --data (a line each).",
  )
    .argument('<image...>', 'image files, or CSV files of feature rows')
    .option(
      '--out <dir>',
      'the run whose model.sprout to use (a training run or an export --format sprout)',
      'runs/latest',
    )
    .option('--top <k>', 'show the k most likely classes of each image', integer('--top'), 1)
    .option('--threads <n>', THREADS_HELP, threads('--threads'))
    .option('--json', 'print the predictions as one JSON array on stdout')
    .addHelpText(
      'after',
      '\nEach image is normalised as MNIST digits were: ink box scaled to 20×20, centre of mass centred in 28×28.',
    );
}

const FORMATS = ['tfjs', 'onnx', 'sprout'] as const;

/** `sprout export`. */
export function buildExportProgram(): Command {
  return newProgram(
    'sprout export',
    "Export a run's model; every format takes pixels in [0, 1] and outputs class probabilities.",
  )
    .option('--out <dir>', 'the run whose model.sprout to export', 'runs/latest')
    .addOption(
      new Option(
        '--format <format>',
        'required: tfjs (TensorFlow.js Layers) | onnx (opset 13) | sprout (model.sprout, e.g. with --int8)',
      )
        .choices(FORMATS)
        .makeOptionMandatory(),
    )
    .requiredOption('--to <dir>', 'required: the directory to write the exported files into')
    .option('--int8', 'quantize weights to int8, one scale per output unit (about 4× smaller)')
    .option('--overwrite', 'replace exported files already in --to')
    .option('--json', 'print what was written as one JSON object on stdout');
}

/** `sprout tune`. */
export function buildTuneProgram(): Command {
  return newProgram(
    'sprout tune',
    'Search training options by successive halving (ASHA): trials in worker processes, chosen on the dev split only; the test set is read once, for the chosen model.',
  )
    .requiredOption(
      '--space <file>',
      `the search space (JSON; examples: ${EXAMPLES_DIR}tune-quick.json and tune-accurate.json)`,
    )
    .option('--out <dir>', 'tune directory (tune.json, trials/, summary.md, curves.png)', 'runs/tune')
    .addOption(
      new Option('--workers <n>', 'trials trained at once, one process each')
        .argParser(integer('--workers'))
        .default(availableParallelism(), `one per core: ${availableParallelism()}`),
    )
    .option(
      '--threads <n>',
      'cpu kernel threads of each trial (default: the cores shared among the workers); results are the same for any count',
      threads('--threads'),
    )
    .option(
      '--queue <url>',
      'redis://[:password@]host[:port][/db] or rediss:// (TLS): trials become jobs on that Redis for `sprout worker` processes on any machine; --workers then starts that many here (0: coordinate only). Env SPROUT_QUEUE_URL sets it without showing a password in ps or shell history',
    )
    .option('--json', 'print the result as one JSON object on stdout')
    .addHelpText(
      'after',
      '\nRun the same command again after Ctrl-C or a kill: the tune continues where it stopped.',
    );
}

/** `sprout worker`. */
export function buildWorkerProgram(): Command {
  return newProgram(
    'sprout worker',
    'Train the trials of every tune started with `sprout tune --queue URL` on that Redis, one after another, until stopped (Ctrl-C: the running trial saves a checkpoint and goes back to the queue).',
  )
    .requiredOption(
      '--queue <url>',
      'required: redis://[:password@]host[:port][/db] or rediss:// (TLS), as the tune was given',
    )
    .addOption(
      new Option('--concurrency <n>', 'trials trained at once by this worker')
        .argParser(integer('--concurrency'))
        .default(1),
    )
    .option(
      '--threads <n>',
      'cpu kernel threads of each trial (default: the cores shared among --concurrency trials); results are the same for any count',
      threads('--threads'),
    )
    .option(
      '--data-dir <dir>',
      "where the tune's IDX data directory is on this machine, if not at the coordinator's path (the data must be the same: its SHA-256 is checked)",
    );
}

/** Parses argv (without node and script) into a request; throws commander errors on bad input. */
export function parseArgs(argv: string[]): CliRequest {
  const args = normaliseUnderscores(argv);
  if (args[0] === 'predict') {
    const program = buildPredictProgram();
    program.parse(args.slice(1), { from: 'user' });
    const opts = program.opts();
    if (opts.top < 1) throw new UsageError(`--top must be at least 1, got ${opts.top}`);
    return {
      mode: 'predict',
      json: Boolean(opts.json),
      outDir: opts.out,
      files: program.args,
      top: opts.top,
      threads: opts.threads ?? envThreadsOrUndefined(),
    };
  }
  if (args[0] === 'tune') {
    const program = buildTuneProgram();
    program.parse(args.slice(1), { from: 'user' });
    const opts = program.opts();
    if (opts.workers < (opts.queue ? 0 : 1))
      throw new UsageError(
        opts.queue
          ? `--workers must be 0 or more, got ${opts.workers}`
          : `--workers must be at least 1 (0 only with --queue: coordinate only), got ${opts.workers}`,
      );
    return {
      mode: 'tune',
      json: Boolean(opts.json),
      space: opts.space,
      outDir: opts.out,
      workers: opts.workers,
      threads: opts.threads,
      queue: opts.queue ?? (process.env.SPROUT_QUEUE_URL || undefined),
    };
  }
  if (args[0] === 'worker') {
    const program = buildWorkerProgram();
    program.parse(args.slice(1), { from: 'user' });
    const opts = program.opts();
    if (opts.concurrency < 1)
      throw new UsageError(`--concurrency must be at least 1, got ${opts.concurrency}`);
    return {
      mode: 'worker',
      queue: opts.queue,
      concurrency: opts.concurrency,
      threads: opts.threads,
      dataDir: opts.dataDir,
    };
  }
  if (args[0] === 'export') {
    const program = buildExportProgram();
    program.parse(args.slice(1), { from: 'user' });
    const opts = program.opts();
    return {
      mode: 'export',
      json: Boolean(opts.json),
      outDir: opts.out,
      format: opts.format,
      to: opts.to,
      int8: Boolean(opts.int8),
      overwrite: Boolean(opts.overwrite),
    };
  }
  const program = buildProgram();
  // `sprout evaluate` and `sprout continue` are the training command's --evaluate and
  // --continue-training, as a command (what a user tries first).
  const asFlag = { evaluate: '--evaluate', continue: '--continue-training' }[args[0]];
  const trainArgs = asFlag ? [...args.slice(1), asFlag] : args[0] === 'train' ? args.slice(1) : args;
  program.parse(trainArgs, { from: 'user' });
  const opts = program.opts();
  if (opts.continueTraining && opts.evaluate)
    throw new UsageError('--continue-training and --evaluate cannot be combined: give one of them');
  if (opts.overwrite && (opts.continueTraining || opts.evaluate))
    throw new UsageError(
      `--overwrite is for a new run; it cannot be combined with ${opts.evaluate ? '--evaluate' : '--continue-training'}`,
    );
  const config: Record<string, unknown> = {};
  for (const name of FLAGGED) {
    const attribute = new Option(TRAIN_OPTION_INFO[name].flag as string).attributeName();
    if (program.getOptionValueSource(attribute) === 'cli') config[name] = opts[attribute];
  }
  const typedFlags = applyWidthShorthands(program, config);
  if (config.backend === undefined && process.env.SPROUT_BACKEND) config.backend = envBackend();
  // Checked here so that garbage in the variable is one line naming it, before any work.
  if (config.threads === undefined) envThreadsOrUndefined();
  if (config.augment === false) {
    const strengths = ['elastic', 'augmentShift', 'augmentRotate', 'augmentScale'].filter((k) => k in config);
    if (strengths.length)
      throw new UsageError(
        `${strengths.map((k) => flagOf(k)).join(', ')} set${strengths.length === 1 ? 's' : ''} augmentation, which --no-augment turns off: give one or the other`,
      );
  }
  // A preset fills in what the command line leaves open.
  if (opts.preset) for (const [k, v] of Object.entries(PRESETS[opts.preset as PresetName])) config[k] ??= v;
  return {
    mode: opts.evaluate ? 'evaluate' : opts.continueTraining ? 'continue' : 'train',
    json: Boolean(opts.json),
    overwrite: Boolean(opts.overwrite),
    outGiven: program.getOptionValueSource('out') === 'cli',
    config: config as TrainConfigInput,
    typedFlags,
  };
}

/**
 * Turns --initial-hidden-size / --final-hidden-size into their lists in `config`; returns the
 * flags typed for those options, so that errors about them name what the user typed.
 */
function applyWidthShorthands(
  program: Command,
  config: Record<string, unknown>,
): Partial<Record<TrainOptionName, string>> {
  const typed: Partial<Record<TrainOptionName, string>> = {};
  const given: Partial<Record<TrainOptionName, number>> = {};
  for (const { flag, option } of WIDTH_SHORTHANDS) {
    const attribute = new Option(flag).attributeName();
    if (program.getOptionValueSource(attribute) !== 'cli') continue;
    const name = flag.split(' ')[0];
    const list = TRAIN_OPTION_INFO[option].flag?.split(' ')[0];
    if (config[option] !== undefined)
      throw new UsageError(`${name} and ${list} both set the widths: give one of them`);
    given[option] = program.opts()[attribute] as number;
    typed[option] = name;
  }
  const [initial, final] = [given.initialHidden, given.hidden];
  if (initial !== undefined && final !== undefined && initial > final)
    throw new UsageError(`--final-hidden-size: must be at least --initial-hidden-size (${initial})`);
  const layers = Array.isArray(config.hidden) ? config.hidden.length : 1;
  if (initial !== undefined && layers > 1)
    throw new UsageError(
      `--initial-hidden-size is one hidden layer's width but --hidden gives ${layers} layers: give --initial-hidden with a width for each`,
    );
  if (initial !== undefined) config.initialHidden = [initial];
  if (final !== undefined) config.hidden = [final];
  return typed;
}
