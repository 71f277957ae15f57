import { z } from 'zod';
import type { SameType, TrainConfig, TrainConfigInput } from './configTypes.js';
import { ConfigError } from './errors.js';
import { trainOptionShapes } from './options.js';

/**
 * Training options: the schema of each is in {@link TRAIN_OPTIONS}, with its default and what
 * the command line knows of it. Hidden widths are lists, layer by layer: `hidden` (final widths,
 * default one layer of 512) and `initialHidden` (default half of each), each layer growing on the
 * same schedule. Parse user input with {@link resolveConfig}: every bad value becomes a
 * ConfigError naming the field.
 */
export const trainConfigSchema = z
  .object(trainOptionShapes)
  .strict()
  .superRefine((c, ctx) => {
    // A dev monitor needs a dev split to follow; the training loss holds out none (a run records
    // its size, 0, which a continued run reads back).
    const devIssue = (message: string) => ctx.addIssue({ code: 'custom', path: ['devSize'], message });
    if (c.monitor === 'train-loss' && c.devSize)
      devIssue('cannot go with {monitor} train-loss, which holds out no dev split: give one of them');
    else if (c.devSize === 0 && c.monitor !== 'train-loss')
      devIssue(
        `is 0, but {monitor} ${c.monitor} follows a dev split: give 1 or more, or {monitor} train-loss`,
      );
    if (!c.initialHidden) return;
    const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['initialHidden'], message });
    const finals = c.hidden ?? [DEFAULT_HIDDEN];
    if (c.initialHidden.length !== finals.length)
      issue(`has ${c.initialHidden.length} widths but there are ${finals.length} hidden layers`);
    else if (c.initialHidden.some((w, i) => w > finals[i]))
      issue(`must not exceed the final widths (${finals.join(',')}), layer by layer`);
  })
  .transform((c) => {
    const hidden = c.hidden ?? [DEFAULT_HIDDEN];
    return {
      ...c,
      hidden,
      initialHidden: c.initialHidden ?? hidden.map((w) => Math.ceil(w / 2)),
      augment: c.augment ?? c.dataDir === undefined,
    };
  });

/** One hidden layer of 512 units: the original NumPy script's network. */
const DEFAULT_HIDDEN = 512;

export type { TrainConfig, TrainConfigInput } from './configTypes.js';

// The written-out types are exactly the schema's (configTypes.ts says why they are written out).
const inputMatches: SameType<Required<TrainConfigInput>, Required<z.input<typeof trainConfigSchema>>> = true;
const outputMatches: SameType<TrainConfig, z.output<typeof trainConfigSchema>> = true;
void [inputMatches, outputMatches];

/**
 * Validates options and fills in defaults.
 *
 * @example
 * ```ts
 * resolveConfig({ batchSize: 64 }).learningRate; // 0.002
 * resolveConfig({ batchSize: -1 });               // throws ConfigError "batchSize: …"
 * ```
 */
export function resolveConfig(input: unknown = {}): TrainConfig {
  const result = trainConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field =
    (issue.path.length ? String(issue.path[0]) : '') ||
    (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'config');
  // A list's entry (hidden: [512, 0]) is named by its position, counting from 1.
  const entry = typeof issue.path[1] === 'number' ? `entry ${issue.path[1] + 1}: ` : '';
  const message = issue.code === 'unrecognized_keys' ? 'unknown option' : `${entry}${issue.message}`;
  throw new ConfigError(field, message);
}
