import { readFileSync } from 'node:fs';
import { Random } from '@sprout/tensor';
import { ConfigError, optionsWhere, TRAIN_OPTION_INFO, type TrainConfigInput } from '@sprout/trainer';
import { fsErrorMessage, resolveConfig, type SameType } from '@sprout/trainer/internals';
import { z } from 'zod';
import type { Distribution, SearchSpace } from './spaceTypes.js';

export type { Distribution, SearchSpace };

/** How one option is drawn. */
const distribution = z.union(
  [
    z
      .object({ choice: z.array(z.union([z.number(), z.string(), z.boolean(), z.array(z.number())])).min(1) })
      .strict(),
    z.object({ uniform: z.tuple([z.number(), z.number()]) }).strict(),
    z.object({ log: z.tuple([z.number().positive(), z.number().positive()]) }).strict(),
    z.object({ int: z.tuple([z.number().int(), z.number().int()]) }).strict(),
  ],
  {
    error:
      'expected one of { "choice": [values…] } (a value may be a list: widths [512, 256]), { "uniform": [lo, hi] }, { "log": [lo, hi] } (both > 0), { "int": [lo, hi] } (whole numbers)',
  },
);
const distributionMatches: SameType<Distribution, z.infer<typeof distribution>> = true;

/** Options the search itself sets in every trial; a space may not set them. */
const SEARCH_OWNED: readonly string[] = optionsWhere('searchOwned');

/**
 * A search space file (JSON): fixed `base` options, the `search` distributions (any training
 * option: `{ "choice": [...] }`, `{ "uniform": [lo, hi] }`, `{ "log": [lo, hi] }`,
 * `{ "int": [lo, hi] }`), how many `trials` to sample, and the successive-halving budget: trials
 * run `minEpochs`, the best 1/`reduction` go on to `minEpochs·reduction`, … up to `maxEpochs`.
 */
const searchSpaceSchema = z
  .object({
    $comment: z.string().optional(),
    base: z.record(z.string(), z.unknown()).default({}),
    search: z.record(z.string(), distribution),
    trials: z.number().int().min(1).max(1000),
    minEpochs: z.number().int().min(1),
    maxEpochs: z.number().int().min(1).max(10000),
    reduction: z.number().int().min(2).max(16).default(3),
    /** Seeds the sampling of configurations (training runs use the base `seed`). */
    seed: z.number().int().min(0).default(0),
    promotion: z.enum(['asynchronous', 'synchronous']).default('asynchronous'),
  })
  .strict()
  .refine((s) => s.maxEpochs >= s.minEpochs, { path: ['maxEpochs'], message: 'must be at least minEpochs' });

// The written-out type is exactly the schema's (configTypes.ts says why it is written out).
const spaceMatches: SameType<SearchSpace, z.output<typeof searchSpaceSchema>> = true;
void [distributionMatches, spaceMatches];

/** Reads and checks a space file; every problem names the file and the entry. */
export function readSearchSpace(file: string): SearchSpace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('space', fsErrorMessage('read', file, error));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('space', `${file} is not JSON: ${(error as Error).message}`);
  }
  return parseSearchSpace(json, file);
}

/** Checks a parsed space (`source` names it in errors). */
export function parseSearchSpace(json: unknown, source = 'search space'): SearchSpace {
  const parsed = searchSpaceSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError('space', `${source}: ${issue.path.join('.') || 'top level'}: ${issue.message}`);
  }
  const space = parsed.data;
  const known = Object.keys(TRAIN_OPTION_INFO);
  for (const [where, keys] of [
    ['base', Object.keys(space.base)],
    ['search', Object.keys(space.search)],
  ] as const) {
    for (const key of keys) {
      if (!known.includes(key))
        throw new ConfigError('space', `${source}: ${where}.${key} is not a training option`);
      if (SEARCH_OWNED.includes(key))
        throw new ConfigError('space', `${source}: ${where}.${key} is set by the search itself`);
    }
  }
  const monitors = [
    space.base.monitor,
    ...('monitor' in space.search && 'choice' in space.search.monitor ? space.search.monitor.choice : []),
  ];
  if (monitors.includes('train-loss'))
    throw new ConfigError(
      'space',
      `${source}: monitor "train-loss" holds out no dev split, and a search chooses on the dev split: use dev-accuracy or dev-loss`,
    );
  for (const key of Object.keys(space.search))
    if (key in space.base)
      throw new ConfigError('space', `${source}: ${key} is both in base and in search: give it in one`);
  // The base must be a valid config, and so must every corner of the space (each choice, each
  // range end) on top of it.
  const check = (input: Record<string, unknown>, where: string) => {
    try {
      resolveConfig(input);
    } catch (error) {
      throw new ConfigError('space', `${source}: ${where}: ${(error as Error).message}`);
    }
  };
  check(space.base, 'base');
  for (const [key, d] of Object.entries(space.search)) {
    const range = 'choice' in d ? null : rangeOf(d);
    if (range && range[0] > range[1])
      throw new ConfigError('space', `${source}: search.${key}: the range's low end is above its high end`);
    for (const value of range ?? ('choice' in d ? d.choice : []))
      check({ ...space.base, [key]: value }, `search.${key} = ${JSON.stringify(value)}`);
  }
  return space;
}

/** The `count` configurations of a space, in order (the same every time for the same space). */
export function sampleConfigurations(space: SearchSpace, count = space.trials): Record<string, unknown>[] {
  const rng = new Random(space.seed);
  return Array.from({ length: count }, () => {
    const params: Record<string, unknown> = {};
    for (const [key, d] of Object.entries(space.search)) params[key] = draw(d, rng);
    return params;
  });
}

/** A range distribution's [low, high]. */
function rangeOf(d: Exclude<Distribution, { choice: unknown }>): [number, number] {
  return 'uniform' in d ? d.uniform : 'log' in d ? d.log : d.int;
}

function draw(d: Distribution, rng: Random): unknown {
  if ('choice' in d) return d.choice[rng.int(d.choice.length)];
  if ('uniform' in d) return round(rng.uniform(d.uniform[0], d.uniform[1]));
  if ('log' in d) return round(Math.exp(rng.uniform(Math.log(d.log[0]), Math.log(d.log[1]))));
  return d.int[0] + rng.int(d.int[1] - d.int[0] + 1);
}

/** Four significant digits: configs stay readable on the command line. */
function round(v: number): number {
  return Number(v.toPrecision(4));
}

/** A trial's training options: the base, its drawn values, and what the search controls. */
export function trialConfig(
  space: SearchSpace,
  params: Record<string, unknown>,
  extra: { epochs: number; outDir: string },
): TrainConfigInput {
  const data = { ...space.base, ...params };
  return {
    // Trials are chosen on their dev split: a small tabular set must not drop it (train()'s
    // default there), so rows keep their tabular default, dev loss.
    ...(data.monitor === undefined && data.csv !== undefined ? { monitor: 'dev-loss' } : {}),
    ...data,
    epochs: extra.epochs,
    scheduleEpochs: space.maxEpochs,
    outDir: extra.outDir,
    evaluateTest: false,
    report: false,
  } as TrainConfigInput;
}
