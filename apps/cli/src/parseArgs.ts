import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import {
  availableCores,
  type ExportFormat,
  envThreads,
  MAX_THREADS_PER_CORE,
  PRESETS,
  type PresetName,
  parseThreads,
  resolveConfig,
  type TrainConfigInput,
} from '@sprout/trainer';
import { Command, InvalidArgumentError, Option } from 'commander';

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
}

export type CliRequest = TrainRequest | PredictRequest | ExportRequest | TuneRequest;

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
const THREADS_HELP = `cpu kernel threads: auto (every core this process may use, ${availableCores()} here; env SPROUT_THREADS sets the default) or a count; results are the same for any count`;

// [flag, config key, description, parser]
const OPTIONS: [string, keyof typeof defaults, string, ((v: string) => unknown) | null][] = [
  ['--batch-size <n>', 'batchSize', 'micro-batch size', integer('--batch-size')],
  ['--learning-rate <lr>', 'learningRate', 'peak learning rate (Adam)', number('--learning-rate')],
  ['--epochs <n>', 'epochs', 'maximum epochs', integer('--epochs')],
  ['--seed <n>', 'seed', 'random seed (runs are deterministic)', integer('--seed')],
  [
    '--accumulate <k>',
    'accumulate',
    'micro-batches per optimizer step (gradient accumulation)',
    integer('--accumulate'),
  ],
  [
    '--max-memory-percent <p>',
    'maxMemoryPercent',
    'memory budget, % of the memory available to the process',
    number('--max-memory-percent'),
  ],
  [
    '--warmup-epochs <n>',
    'warmupEpochs',
    'linear warmup: epoch e (from 0) runs at peak·(e+1)/n, so 1 = the peak from the first epoch',
    integer('--warmup-epochs'),
  ],
  [
    '--decay <f>',
    'decay',
    'after warmup the learning rate is multiplied by this every --decay-patience epochs, smoothly (a little each epoch)',
    number('--decay'),
  ],
  [
    '--decay-patience <n>',
    'decayPatience',
    'epochs over which the learning rate falls by one --decay factor',
    number('--decay-patience'),
  ],
  [
    '--growth-epochs <n>',
    'growthEpochs',
    'epochs to grow from initial to final width',
    integer('--growth-epochs'),
  ],
  [
    '--initial-hidden-size <n>',
    'initialHiddenSize',
    'hidden units at the start',
    integer('--initial-hidden-size'),
  ],
  ['--final-hidden-size <n>', 'finalHiddenSize', 'hidden units after growth', integer('--final-hidden-size')],
  [
    '--hidden <widths>',
    'hidden',
    'final width of each hidden layer, e.g. 512,256 for two (instead of --final-hidden-size)',
    widths('--hidden'),
  ],
  [
    '--initial-hidden <widths>',
    'initialHidden',
    'initial width of each hidden layer, e.g. 128,64 (instead of --initial-hidden-size)',
    widths('--initial-hidden'),
  ],
  ['--growth-strategy <s>', 'growthStrategy', 'net2net | zero-outgoing', null],
  [
    '--lr-schedule <s>',
    'lrSchedule',
    'step (× --decay every --decay-patience epochs) | cosine (to 0 at the last epoch) | one-cycle',
    null,
  ],
  [
    '--schedule-epochs <n>',
    'scheduleEpochs',
    'epochs a cosine or one-cycle schedule spans',
    integer('--schedule-epochs'),
  ],
  [
    '--weight-decay <wd>',
    'weightDecay',
    "AdamW's decoupled weight decay (0 = Adam)",
    number('--weight-decay'),
  ],
  [
    '--label-smoothing <e>',
    'labelSmoothing',
    'train on targets (1 − e)·one-hot + e/classes',
    number('--label-smoothing'),
  ],
  ['--dropout <p>', 'dropout', 'dropout rate after each hidden layer while training', number('--dropout')],
  [
    '--elastic <px>',
    'elastic',
    'augmentation: elastic distortion, largest displacement in pixels (0 = off)',
    number('--elastic'),
  ],
  [
    '--augment-shift <px>',
    'augmentShift',
    'augmentation: largest shift in pixels',
    number('--augment-shift'),
  ],
  [
    '--augment-rotate <deg>',
    'augmentRotate',
    'augmentation: largest rotation in degrees',
    number('--augment-rotate'),
  ],
  [
    '--augment-scale <f>',
    'augmentScale',
    'augmentation: largest relative change of scale',
    number('--augment-scale'),
  ],
  ['--patience <n>', 'patience', 'early stopping patience in epochs (0 = off)', integer('--patience')],
  [
    '--backend <b>',
    'backend',
    'cpu | gpu | auto (auto: gpu when a real one runs, else cpu; env SPROUT_BACKEND sets the default)',
    null,
  ],
  ['--threads <n>', 'threads', THREADS_HELP, threads('--threads')],
  ['--data-dir <dir>', 'dataDir', 'directory of IDX files (plain or .gz) instead of the bundled MNIST', null],
  [
    '--out <dir>',
    'outDir',
    'run directory (checkpoint, model, metrics, plots, report); a new run refuses one that holds another run',
    null,
  ],
  [
    '--classes <n>',
    'classes',
    'class count of a --data-dir dataset whose training labels miss some classes',
    integer('--classes'),
  ],
  ['--dev-size <n>', 'devSize', 'images held out of training for early stopping', integer('--dev-size')],
  [
    '--train-limit <n>',
    'trainLimit',
    'use only the first N training images (0 = all)',
    integer('--train-limit'),
  ],
  ['--test-limit <n>', 'testLimit', 'use only the first N test images (0 = all)', integer('--test-limit')],
];

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

/** The seed's underscore spellings (--batch_size) are accepted for every flag. */
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
  tune --space <file>        search hyperparameters (successive halving, chosen on dev only)`;

/** Builds the training command (also used for --help). */
export function buildProgram(): Command {
  const program = newProgram(
    'sprout',
    'Train a growing MLP on MNIST (bundled) from chance to 98%+ test accuracy.',
  );
  program.usage('[train] [options]').addHelpText('after', COMMANDS_HELP);
  for (const [flag, key, description, parser] of OPTIONS) {
    const shown =
      key === 'outDir'
        ? 'runs/<date-time>, linked as runs/latest'
        : key === 'classes'
          ? 'from the labels'
          : key === 'initialHiddenSize'
            ? `half of --final-hidden-size, ${defaults.initialHiddenSize}`
            : key === 'initialHidden'
              ? 'half of each --hidden width'
              : key === 'scheduleEpochs'
                ? '--epochs'
                : key === 'threads'
                  ? 'auto'
                  : defaults[key] === undefined
                    ? 'bundled MNIST'
                    : String(defaults[key]);
    const option = new Option(flag, `${description} (default: ${shown})`);
    if (key === 'backend') option.choices(['cpu', 'gpu', 'auto']);
    if (key === 'growthStrategy') option.choices(['net2net', 'zero-outgoing']);
    if (key === 'lrSchedule') option.choices(['step', 'cosine', 'one-cycle']);
    if (parser) option.argParser(parser);
    program.addOption(option);
  }
  program
    .addOption(
      new Option(
        '--preset <name>',
        `a named set of options; flags given with it win (${presetHelp()})`,
      ).choices(Object.keys(PRESETS)),
    )
    .option(
      '--augment',
      'random shifts, rotations and scaling of training images (default: on for the bundled digits, off for --data-dir)',
    )
    .option('--no-augment', 'turn training-time augmentation off')
    .option('--no-report', 'skip plots and report.html (default: written)')
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

/** The flag a training option is set by, e.g. `batchSize` → `--batch-size`. */
export function flagOf(key: string): string | undefined {
  const entry = OPTIONS.find(([, k]) => k === key);
  return entry?.[0].split(' ')[0];
}

/** `sprout predict`. */
export function buildPredictProgram(): Command {
  return newProgram(
    'sprout predict',
    "Classify images (PNG or PGM, any size, either polarity) with a run's model.",
  )
    .argument('<image...>', 'image files')
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
        'tfjs (TensorFlow.js Layers) | onnx (opset 13) | sprout (model.sprout, e.g. with --int8)',
      )
        .choices(FORMATS)
        .makeOptionMandatory(),
    )
    .requiredOption('--to <dir>', 'directory to write the exported files into')
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
      'the search space (JSON; see examples/tune-quick.json and examples/tune-accurate.json)',
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
    .option('--json', 'print the result as one JSON object on stdout')
    .addHelpText(
      'after',
      '\nRun the same command again after Ctrl-C or a kill: the tune continues where it stopped.',
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
    if (opts.workers < 1) throw new UsageError(`--workers must be at least 1, got ${opts.workers}`);
    return {
      mode: 'tune',
      json: Boolean(opts.json),
      space: opts.space,
      outDir: opts.out,
      workers: opts.workers,
      threads: opts.threads,
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
  program.parse(args[0] === 'train' ? args.slice(1) : args, { from: 'user' });
  const opts = program.opts();
  if (opts.continueTraining && opts.evaluate)
    throw new UsageError('--continue-training and --evaluate cannot be combined: give one of them');
  if (opts.overwrite && (opts.continueTraining || opts.evaluate))
    throw new UsageError(
      `--overwrite is for a new run; it cannot be combined with ${opts.evaluate ? '--evaluate' : '--continue-training'}`,
    );
  const config: Record<string, unknown> = {};
  for (const [flag, key] of OPTIONS) {
    const attribute = new Option(flag).attributeName();
    if (program.getOptionValueSource(attribute) === 'cli') config[key] = opts[attribute];
  }
  if (config.backend === undefined && process.env.SPROUT_BACKEND) config.backend = envBackend();
  // Checked here so that garbage in the variable is one line naming it, before any work.
  if (config.threads === undefined) envThreadsOrUndefined();
  if (program.getOptionValueSource('augment') === 'cli') config.augment = opts.augment;
  if (config.augment === false) {
    const strengths = ['elastic', 'augmentShift', 'augmentRotate', 'augmentScale'].filter((k) => k in config);
    if (strengths.length)
      throw new UsageError(
        `${strengths.map((k) => flagOf(k)).join(', ')} set${strengths.length === 1 ? 's' : ''} augmentation, which --no-augment turns off: give one or the other`,
      );
  }
  // A preset fills in what the command line leaves open.
  if (opts.preset) for (const [k, v] of Object.entries(PRESETS[opts.preset as PresetName])) config[k] ??= v;
  if (program.getOptionValueSource('report') === 'cli') config.report = opts.report;
  return {
    mode: opts.evaluate ? 'evaluate' : opts.continueTraining ? 'continue' : 'train',
    json: Boolean(opts.json),
    overwrite: Boolean(opts.overwrite),
    outGiven: program.getOptionValueSource('out') === 'cli',
    config: config as TrainConfigInput,
  };
}
