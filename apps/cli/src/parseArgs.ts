import { createRequire } from 'node:module';
import { resolveConfig, type TrainConfigInput } from '@sprout/trainer';
import { Command, InvalidArgumentError, Option } from 'commander';

/** This package's version (from its package.json, beside dist/ and src/ alike). */
export const VERSION: string = createRequire(import.meta.url)('../package.json').version;

/** What the user asked for. */
export interface CliRequest {
  mode: 'train' | 'continue' | 'evaluate';
  json: boolean;
  /** Replace the run already in --out. */
  overwrite: boolean;
  /** --out was given (else a new run gets its own directory under runs/, linked as runs/latest). */
  outGiven: boolean;
  /** Only the options given on the command line (so a resumed run keeps its saved ones). */
  config: TrainConfigInput;
}

const defaults = resolveConfig({});

const integer = (flag: string) => (value: string) => {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${flag} must be an integer, got "${value}"`);
  return Number(value);
};
const number = (flag: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError(`${flag} must be a number, got "${value}"`);
  return n;
};

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
  ['--warmup-epochs <n>', 'warmupEpochs', 'linear learning-rate warmup epochs', integer('--warmup-epochs')],
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
  ['--growth-strategy <s>', 'growthStrategy', 'net2net | zero-outgoing', null],
  ['--patience <n>', 'patience', 'early stopping patience in epochs (0 = off)', integer('--patience')],
  [
    '--backend <b>',
    'backend',
    'cpu | gpu | auto (auto: gpu when a real one runs, else cpu; env SPROUT_BACKEND sets the default)',
    null,
  ],
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

/** The seed's underscore spellings (--batch_size) are accepted for every flag. */
function normaliseUnderscores(argv: string[]): string[] {
  return argv.map((a) =>
    a.startsWith('--') ? a.replace(/^--[^=]+/, (flag) => flag.replaceAll('_', '-')) : a,
  );
}

/** Builds the commander program (also used for --help). */
export function buildProgram(): Command {
  const program = new Command('sprout')
    .description('Train a growing MLP on MNIST (bundled) from chance to 98%+ test accuracy.')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // One line, suggestions included ("(Did you mean --epochs?)").
      outputError: (s, write) => write(`sprout: ${s.trim().replace(/\s*\n\s*/g, ' ')}\n`),
    })
    .allowExcessArguments(false)
    .showSuggestionAfterError(true);
  for (const [flag, key, description, parser] of OPTIONS) {
    const shown =
      key === 'outDir'
        ? 'runs/<date-time>, linked as runs/latest'
        : key === 'classes'
          ? 'from the labels'
          : defaults[key] === undefined
            ? 'bundled MNIST'
            : String(defaults[key]);
    const option = new Option(flag, `${description} (default: ${shown})`);
    if (key === 'backend') option.choices(['cpu', 'gpu', 'auto']);
    if (key === 'growthStrategy') option.choices(['net2net', 'zero-outgoing']);
    if (parser) option.argParser(parser);
    program.addOption(option);
  }
  program
    .option('--no-augment', 'turn off training-time augmentation (default: on)')
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

/** A command line that parses but asks for something contradictory. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The flag a training option is set by, e.g. `batchSize` → `--batch-size`. */
export function flagOf(key: string): string | undefined {
  const entry = OPTIONS.find(([, k]) => k === key);
  return entry?.[0].split(' ')[0];
}

/** Parses argv (without node and script) into a request; throws commander errors on bad input. */
export function parseArgs(argv: string[]): CliRequest {
  const program = buildProgram();
  program.parse(normaliseUnderscores(argv), { from: 'user' });
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
  if (program.getOptionValueSource('augment') === 'cli') config.augment = opts.augment;
  if (program.getOptionValueSource('report') === 'cli') config.report = opts.report;
  return {
    mode: opts.evaluate ? 'evaluate' : opts.continueTraining ? 'continue' : 'train',
    json: Boolean(opts.json),
    overwrite: Boolean(opts.overwrite),
    outGiven: program.getOptionValueSource('out') === 'cli',
    config: config as TrainConfigInput,
  };
}
