import { z } from 'zod';
import type { TrainOptionName } from './configTypes.js';

/** Most hidden layers a config may ask for. */
const MAX_HIDDEN_LAYERS = 16;
const width = z.number().int().min(1).max(65536);

/** How a command line spells an option's value. */
export type OptionValue =
  /** A whole number. */
  | 'integer'
  | 'number'
  /** Widths separated by commas, e.g. 512,256. */
  | 'widths'
  /** `auto` or a thread count. */
  | 'threads'
  /** One of `choices`. */
  | 'choice'
  /** Any text (a path). */
  | 'text'
  /** No value: the flag turns it on (or, as `--no-…`, off). */
  | 'switch';

/** What the CLI, presets, resuming and searches know of a training option besides its schema. */
export interface OptionInfo {
  /**
   * The command-line flag with its value's name (`--batch-size <n>`); `--no-report` for a switch
   * that is on by default. Absent: an option of the library only.
   */
  flag?: string;
  /** One line for --help. */
  help: string;
  value: OptionValue;
  /** The allowed values of a `choice`. */
  choices?: readonly string[];
  /** The default as --help says it, where the schema's default is not the whole story. */
  defaultShown?: string;
  /** A continued run keeps it: a new value would make the checkpoint mean something else. */
  fixedOnResume?: boolean;
  /** A search sets it for each trial, so a search space may not (see `sprout tune`). */
  searchOwned?: boolean;
  /** For a switch that is off by default but has a `--no-…` form too (`--augment`): its help. */
  negatedHelp?: string;
}

function option<S extends z.ZodType>(schema: S, info: OptionInfo): { schema: S; info: OptionInfo } {
  return { schema, info };
}

const GROWTH_STRATEGIES = ['net2net', 'zero-outgoing'] as const;
const LR_SCHEDULES = ['step', 'cosine', 'one-cycle'] as const;
const BACKENDS = ['cpu', 'gpu', 'auto'] as const;
const MONITORS = ['dev-accuracy', 'dev-loss', 'train-loss'] as const;
const TASKS = ['classification', 'regression'] as const;

/**
 * Every training option, declared once: its schema (validation and default) and what the command
 * line, presets, continued runs and searches need to know of it. `trainConfigSchema` is built from
 * these schemas, and the CLI's flags, choices, defaults in --help and error wording from the rest
 * (published as {@link TRAIN_OPTION_INFO}, without the schemas). Adding an option is one entry
 * here, its type in configTypes.ts (the compiler asks for it), and its use.
 *
 * The defaults are the original NumPy script's except for the schedule: learning rate 2e-3
 * (it had 1e-3), warmup 1 epoch, i.e. the peak from the first epoch (5), growth from half the final
 * width (256 → 512) over 4 epochs (128 → 512 over 20). Measured on the bundled MNIST over three
 * seeds, 98% test accuracy comes at epoch 5 instead of 11 and the final accuracy is higher
 * (98.8–98.9% against ~98.4%).
 */
export const TRAIN_OPTIONS = {
  batchSize: option(z.number().int().min(1).max(65536).default(128), {
    flag: '--batch-size <n>',
    help: 'micro-batch size',
    value: 'integer',
  }),
  learningRate: option(z.number().positive().max(10).default(0.002), {
    flag: '--learning-rate <lr>',
    help: 'peak learning rate (Adam)',
    value: 'number',
  }),
  epochs: option(z.number().int().min(0).max(10000).default(30), {
    flag: '--epochs <n>',
    help: 'maximum epochs',
    value: 'integer',
    searchOwned: true,
  }),
  seed: option(
    z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(42),
    {
      flag: '--seed <n>',
      help: 'random seed (runs are deterministic)',
      value: 'integer',
      fixedOnResume: true,
    },
  ),
  accumulate: option(z.number().int().min(1).max(1024).default(1), {
    flag: '--accumulate <k>',
    help: 'micro-batches per optimizer step (gradient accumulation)',
    value: 'integer',
  }),
  maxMemoryPercent: option(z.number().gt(0).max(100).default(80), {
    flag: '--max-memory-percent <p>',
    help: 'memory budget, % of the memory available to the process',
    value: 'number',
  }),
  warmupEpochs: option(z.number().int().min(0).default(1), {
    flag: '--warmup-epochs <n>',
    help: 'linear warmup: epoch e (from 0) runs at peak·(e+1)/n, so 1 = the peak from the first epoch',
    value: 'integer',
  }),
  /** LR multiplier per `decayPatience` epochs after warmup (the original script's decay). */
  decay: option(z.number().gt(0).max(1).default(0.5), {
    flag: '--decay <f>',
    help: 'after warmup the learning rate is multiplied by this every {decayPatience} epochs, smoothly (a little each epoch)',
    value: 'number',
  }),
  decayPatience: option(z.number().positive().default(5), {
    flag: '--decay-patience <n>',
    help: 'epochs over which the learning rate falls by one {decay} factor',
    value: 'number',
  }),
  growthEpochs: option(z.number().int().min(0).default(4), {
    flag: '--growth-epochs <n>',
    help: 'epochs to grow from initial to final width',
    value: 'integer',
    fixedOnResume: true,
  }),
  /** Final width of each hidden layer, e.g. [512, 256] for two (default: one layer, [512]). */
  hidden: option(z.array(width).min(1).max(MAX_HIDDEN_LAYERS).optional(), {
    flag: '--hidden <widths>',
    help: 'final width of each hidden layer, e.g. 512,256 for two',
    value: 'widths',
    defaultShown: '512',
    fixedOnResume: true,
  }),
  /** Initial width of each hidden layer (default: half of each final width, rounded up). */
  initialHidden: option(z.array(width).min(1).max(MAX_HIDDEN_LAYERS).optional(), {
    flag: '--initial-hidden <widths>',
    help: 'initial width of each hidden layer, e.g. 128,64',
    value: 'widths',
    defaultShown: 'half of each {hidden} width, 256',
    fixedOnResume: true,
  }),
  growthStrategy: option(z.enum(GROWTH_STRATEGIES).default('net2net'), {
    flag: '--growth-strategy <s>',
    help: GROWTH_STRATEGIES.join(' | '),
    value: 'choice',
    choices: GROWTH_STRATEGIES,
  }),
  /**
   * The learning-rate schedule after warmup: `step` (× `decay` every `decayPatience` epochs,
   * smoothly), `cosine` (from the peak to 0 at the last epoch, per batch), or `one-cycle` (Smith's:
   * a cosine rise over the first 30% to the peak and a cosine fall to peak/25e4 at the last epoch,
   * per batch; it replaces warmup). `cosine` and `one-cycle` span `scheduleEpochs` epochs.
   */
  lrSchedule: option(z.enum(LR_SCHEDULES).default('step'), {
    flag: '--lr-schedule <s>',
    help: 'step (× {decay} every {decayPatience} epochs) | cosine (to 0 at the last epoch) | one-cycle',
    value: 'choice',
    choices: LR_SCHEDULES,
  }),
  /**
   * Epochs a `cosine` or `one-cycle` schedule spans (default: `epochs`, so continuing a run with a
   * larger `epochs` stretches the schedule from there on).
   */
  scheduleEpochs: option(z.number().int().min(1).max(10000).optional(), {
    flag: '--schedule-epochs <n>',
    help: 'epochs a cosine or one-cycle schedule spans',
    value: 'integer',
    defaultShown: '{epochs}',
    searchOwned: true,
  }),
  /** AdamW's decoupled weight decay (0 = plain Adam): each step multiplies weights by 1 − lr·weightDecay. */
  weightDecay: option(z.number().min(0).max(100).default(0), {
    flag: '--weight-decay <wd>',
    help: "AdamW's decoupled weight decay (0 = Adam)",
    value: 'number',
  }),
  /** Label smoothing ε: training targets (1 − ε)·one-hot + ε/classes. */
  labelSmoothing: option(z.number().min(0).lt(1).default(0), {
    flag: '--label-smoothing <e>',
    help: 'train on targets (1 − e)·one-hot + e/classes',
    value: 'number',
  }),
  /** Dropout rate after every hidden layer while training (0 = none). */
  dropout: option(z.number().min(0).lt(1).default(0), {
    flag: '--dropout <p>',
    help: 'dropout rate after each hidden layer while training',
    value: 'number',
  }),
  /**
   * Random shifts, rotations and scaling of training images. Default: on for the bundled MNIST
   * digits, off for a `dataDir` dataset (they suit digits, not arbitrary images).
   */
  augment: option(z.boolean().optional(), {
    flag: '--augment',
    help: 'random shifts, rotations and scaling of training images',
    value: 'switch',
    defaultShown: 'on for the bundled digits, off for {dataDir}',
    negatedHelp: 'turn training-time augmentation off',
  }),
  /**
   * Augmentation: elastic distortion, the largest displacement in pixels of a smooth random field
   * (Simard et al. 2003 used elastic distortions to reach 99.3% with an MLP). 0 = off.
   */
  elastic: option(z.number().min(0).max(10).default(0), {
    flag: '--elastic <px>',
    help: 'augmentation: elastic distortion, largest displacement in pixels (0 = off)',
    value: 'number',
  }),
  augmentShift: option(z.number().min(0).max(14).default(2), {
    flag: '--augment-shift <px>',
    help: 'augmentation: largest shift in pixels',
    value: 'number',
  }),
  augmentRotate: option(z.number().min(0).max(180).default(10), {
    flag: '--augment-rotate <deg>',
    help: 'augmentation: largest rotation in degrees',
    value: 'number',
  }),
  augmentScale: option(z.number().min(0).lt(1).default(0.1), {
    flag: '--augment-scale <f>',
    help: 'augmentation: largest relative change of scale',
    value: 'number',
  }),
  /** Early stopping: epochs without a dev-accuracy gain before stopping (0 = off). */
  patience: option(z.number().int().min(0).default(8), {
    flag: '--patience <n>',
    help: 'early stopping patience in epochs (0 = off)',
    value: 'integer',
  }),
  /**
   * What early stopping and the best weights follow: dev accuracy (images' default), dev loss
   * (tabular data's: on a few hundred dev rows accuracy moves in coarse steps, the loss does not),
   * or the epoch's mean training loss, `train-loss`, which holds out no dev split at all: every
   * training row trains (tabular data's default under 1,000 training rows, see
   * `TABULAR_DEFAULTS`; scikit-learn's MLPClassifier stops this way by default).
   */
  monitor: option(z.enum(MONITORS).default('dev-accuracy'), {
    flag: '--monitor <m>',
    help: 'what early stopping and the kept best weights follow (train-loss: no dev split, every row trains)',
    value: 'choice',
    choices: MONITORS,
    defaultShown:
      'dev-accuracy; dev-loss on {csv} rows, train-loss under 1000 training rows (then up to 200 epochs)',
    fixedOnResume: true,
  }),
  /** Early stopping: the smallest gain of the monitored figure that counts as one. */
  minDelta: option(z.number().min(0).default(0), {
    flag: '--min-delta <d>',
    help: 'early stopping: the smallest gain of the {monitor} that counts',
    value: 'number',
  }),
  backend: option(z.enum(BACKENDS).default('auto'), {
    flag: '--backend <b>',
    help: 'cpu | gpu | auto (auto: gpu when a real one runs, else cpu; env SPROUT_BACKEND sets the default)',
    value: 'choice',
    choices: BACKENDS,
  }),
  /**
   * Kernel threads of the cpu backend: `auto` (every core this process may use, or env
   * SPROUT_THREADS when set) or a count (up to 4 per core). Results do not depend on it.
   */
  threads: option(z.union([z.literal('auto'), z.number().int().min(1)]).optional(), {
    flag: '--threads <n>',
    help: 'cpu kernel threads: auto (every core this process may use; env SPROUT_THREADS sets the default) or a count; results are the same for any count',
    value: 'threads',
    defaultShown: 'auto',
  }),
  dataDir: option(z.string().min(1).optional(), {
    flag: '--data-dir <dir>',
    help: 'directory of IDX files (plain or .gz) instead of the bundled MNIST',
    value: 'text',
    defaultShown: 'bundled MNIST',
    fixedOnResume: true,
  }),
  /** A CSV file of your own data (header row; numeric features and a `label` column) instead of images. */
  csv: option(z.string().min(1).optional(), {
    flag: '--data <file.csv>',
    help: 'a CSV file of your own data: a header row, numeric feature columns and the {label} column',
    value: 'text',
    defaultShown: 'none: images',
    fixedOnResume: true,
  }),
  /**
   * What the label column holds: classes (a softmax over them, cross-entropy, accuracy) or, for
   * `regression`, a number to predict (one linear output, mean squared error, R² / MAE / MSE).
   * Regression applies to rows of features (`csv` or in-memory data).
   */
  task: option(z.enum(TASKS).default('classification'), {
    flag: '--task <t>',
    help: 'classification (the label is a class) | regression (the label is a number to predict; --data rows)',
    value: 'choice',
    choices: TASKS,
    fixedOnResume: true,
  }),
  /** The column of `csv` (and `testCsv`) that holds each row's class: numbers or names. */
  label: option(z.string().min(1).optional(), {
    flag: '--label <column>',
    help: 'the column of {csv} holding the classes (numbers or names)',
    value: 'text',
    defaultShown: 'none',
    fixedOnResume: true,
  }),
  /** A CSV test file with the same columns as `csv` (default: a seeded, stratified 20% of it). */
  testCsv: option(z.string().min(1).optional(), {
    flag: '--test <file.csv>',
    help: 'a CSV test file with the columns of {csv}',
    value: 'text',
    defaultShown: 'a stratified 20% of {csv}, by --seed',
    fixedOnResume: true,
  }),
  outDir: option(z.string().min(1).default('runs/latest'), {
    flag: '--out <dir>',
    help: 'run directory (checkpoint, model, metrics, plots, report); a new run refuses one that holds another run',
    value: 'text',
    defaultShown: 'runs/<date-time>, linked as runs/latest',
    searchOwned: true,
  }),
  /** Class count of a `dataDir` dataset whose training labels do not show every class. */
  classes: option(z.number().int().min(2).max(256).optional(), {
    flag: '--classes <n>',
    help: 'class count of a {dataDir} dataset whose training labels miss some classes',
    value: 'integer',
    defaultShown: 'from the labels',
    fixedOnResume: true,
  }),
  /**
   * Training images held out for early stopping and choosing (default: a twelfth of them, at
   * most 5,000 — MNIST's 60,000 give 5,000, a small dataset keeps most of its images). A run
   * resolves it to the size it used, so a run with `monitor: 'train-loss'` records 0; giving a
   * size with that monitor, or 0 with a dev one, is an error.
   */
  devSize: option(z.number().int().min(0).optional(), {
    flag: '--dev-size <n>',
    help: 'images held out of training for early stopping',
    value: 'integer',
    defaultShown: 'a twelfth of the training images, at most 5000; none with {monitor} train-loss',
    fixedOnResume: true,
  }),
  /** Use only the first N training images (quick runs and tests); 0 = all. */
  trainLimit: option(z.number().int().min(0).default(0), {
    flag: '--train-limit <n>',
    help: 'use only the first N training images (0 = all)',
    value: 'integer',
    fixedOnResume: true,
  }),
  /** Use only the first N test images; 0 = all. */
  testLimit: option(z.number().int().min(0).default(0), {
    flag: '--test-limit <n>',
    help: 'use only the first N test images (0 = all)',
    value: 'integer',
    searchOwned: true,
  }),
  /**
   * Evaluate the test set (after every epoch and at the end). `false` leaves the test images out
   * of the run entirely — no test accuracy anywhere — as a hyperparameter search needs, which must
   * choose on the dev split only. Such a run writes no report (it is about the test results).
   */
  evaluateTest: option(z.boolean().default(true), {
    help: 'evaluate the test set after every epoch and at the end',
    value: 'switch',
    searchOwned: true,
  }),
  /** Write plots and report.html at the end. */
  report: option(z.boolean().default(true), {
    flag: '--no-report',
    help: 'skip plots and report.html',
    value: 'switch',
    defaultShown: 'written',
    searchOwned: true,
  }),
} as const satisfies Record<TrainOptionName, unknown>;

/** What the command line, presets, resuming and searches know of each option (no schemas). */
export const TRAIN_OPTION_INFO: Readonly<Record<TrainOptionName, OptionInfo>> = Object.fromEntries(
  Object.entries(TRAIN_OPTIONS).map(([name, { info }]) => [name, info]),
) as Record<TrainOptionName, OptionInfo>;

/** The names of the options with `info[key]` set, e.g. every option fixed on resume. */
export function optionsWhere(key: 'fixedOnResume' | 'searchOwned'): TrainOptionName[] {
  return (Object.keys(TRAIN_OPTION_INFO) as TrainOptionName[]).filter((name) => TRAIN_OPTION_INFO[name][key]);
}

/** The flag that sets a training option (`batchSize` → `--batch-size`), if the CLI has one. */
export function flagOf(name: string): string | undefined {
  return (TRAIN_OPTION_INFO as Record<string, OptionInfo | undefined>)[name]?.flag?.split(' ')[0];
}

/** The zod shape of the options, for `z.object`. */
export const trainOptionShapes = Object.fromEntries(
  Object.entries(TRAIN_OPTIONS).map(([name, { schema }]) => [name, schema]),
) as { [K in keyof typeof TRAIN_OPTIONS]: (typeof TRAIN_OPTIONS)[K]['schema'] };

/**
 * `text` with each `{option}` named by `name` (the option itself by default; the CLI passes its
 * flags). Messages and help refer to other options this way, never by rewriting words.
 */
export function nameOptions(text: string, name: (option: string) => string = (o) => o): string {
  return text.replace(/\{([A-Za-z]+)\}/g, (_, option: string) => name(option));
}
