// The training options' TypeScript types, written out so that the published declarations do not
// import zod: zod's CommonJS typings fail to compile (TS1259, 63 errors) in a TypeScript project
// with `module: commonjs` and no `skipLibCheck`. config.ts checks at compile time that these are
// exactly the schema's input and output types, so they cannot drift from TRAIN_OPTIONS.

/** Training options as a user gives them: every one optional (see `TRAIN_OPTION_INFO` for each). */
export interface TrainConfigInput {
  batchSize?: number;
  learningRate?: number;
  epochs?: number;
  seed?: number;
  accumulate?: number;
  maxMemoryPercent?: number;
  warmupEpochs?: number;
  decay?: number;
  decayPatience?: number;
  growthEpochs?: number;
  /** Final width of each hidden layer, e.g. [512, 256] for two (default: one layer, [512]). */
  hidden?: number[] | undefined;
  /** Initial width of each hidden layer (default: half of each final width, rounded up). */
  initialHidden?: number[] | undefined;
  growthStrategy?: 'net2net' | 'zero-outgoing';
  lrSchedule?: 'step' | 'cosine' | 'one-cycle';
  scheduleEpochs?: number | undefined;
  weightDecay?: number;
  labelSmoothing?: number;
  dropout?: number;
  /** Default: on for the bundled MNIST digits, off for a `dataDir` dataset. */
  augment?: boolean | undefined;
  elastic?: number;
  augmentShift?: number;
  augmentRotate?: number;
  augmentScale?: number;
  patience?: number;
  /**
   * What early stopping and the best weights follow (default dev accuracy; dev loss on tabular
   * data, the training loss with no dev split under 1,000 training rows).
   */
  monitor?: 'dev-accuracy' | 'dev-loss' | 'train-loss';
  minDelta?: number;
  backend?: 'cpu' | 'gpu' | 'auto';
  threads?: 'auto' | number | undefined;
  dataDir?: string | undefined;
  /** A CSV file of the user's own data (header row; numeric features and the `label` column). */
  csv?: string | undefined;
  /** What the label holds: classes (default) or, for `regression`, numbers to predict. */
  task?: 'classification' | 'regression';
  /** The column of `csv` holding the classes. */
  label?: string | undefined;
  /** A CSV test file (default: a seeded, stratified 20% of `csv`). */
  testCsv?: string | undefined;
  outDir?: string;
  classes?: number | undefined;
  /**
   * Training images held out as the dev split (default: a twelfth of them, at most 5,000; none
   * with `monitor: 'train-loss'`).
   */
  devSize?: number | undefined;
  trainLimit?: number;
  testLimit?: number;
  evaluateTest?: boolean;
  report?: boolean;
}

/** A training option's name. */
export type TrainOptionName = keyof TrainConfigInput;

/** Options with a default that `resolveConfig` always fills in. */
type Defaulted = Exclude<
  TrainOptionName,
  | 'hidden'
  | 'initialHidden'
  | 'scheduleEpochs'
  | 'augment'
  | 'threads'
  | 'dataDir'
  | 'classes'
  | 'devSize'
  | 'csv'
  | 'label'
  | 'testCsv'
>;

/** Fully resolved training options (`resolveConfig`'s result): defaults filled, widths layer by layer. */
export type TrainConfig = Flat<
  { [K in Defaulted]-?: Exclude<TrainConfigInput[K], undefined> } & {
    hidden: number[];
    initialHidden: number[];
    augment: boolean;
    scheduleEpochs?: number | undefined;
    threads?: 'auto' | number | undefined;
    dataDir?: string | undefined;
    classes?: number | undefined;
    devSize?: number | undefined;
    csv?: string | undefined;
    label?: string | undefined;
    testCsv?: string | undefined;
  }
>;

/** One object type instead of an intersection (as tooltips and type checks see it). */
type Flat<T> = { [K in keyof T]: T[K] };

/** True when A and B are the same type (for compile-time checks). */
export type SameType<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
