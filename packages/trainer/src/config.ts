import { z } from 'zod';
import type { SameType, TrainConfig, TrainConfigInput } from './configTypes.js';
import { ConfigError } from './errors.js';
import { trainOptionShapes } from './options.js';

/**
 * Training options: the schema of each is in {@link TRAIN_OPTIONS}, with its default and what
 * the command line knows of it. One hidden layer by default; `hidden` (final widths) and
 * `initialHidden` (initial widths) make several, each growing on the same schedule.
 * `finalHiddenSize` / `initialHiddenSize` are the first layer's; the resolved config always holds
 * both forms. Parse user input with {@link resolveConfig}: every bad value becomes a ConfigError
 * naming the field.
 */
export const trainConfigSchema = z
  .object(trainOptionShapes)
  .strict()
  .superRefine((c, ctx) => {
    const issue = (field: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [field], message });
    const finals = c.hidden ?? [c.finalHiddenSize ?? 512];
    if (c.hidden && c.finalHiddenSize !== undefined && c.finalHiddenSize !== c.hidden[0])
      issue(
        'finalHiddenSize',
        `is ${c.finalHiddenSize} but {hidden} starts with ${c.hidden[0]}: give one of them`,
      );
    if (c.initialHidden) {
      if (c.initialHidden.length !== finals.length)
        issue(
          'initialHidden',
          `has ${c.initialHidden.length} widths but there are ${finals.length} hidden layers`,
        );
      else if (c.initialHidden.some((w, i) => w > finals[i]))
        issue('initialHidden', `must not exceed the final widths (${finals.join(',')}), layer by layer`);
      if (c.initialHiddenSize !== undefined && c.initialHiddenSize !== c.initialHidden[0])
        issue(
          'initialHiddenSize',
          `is ${c.initialHiddenSize} but {initialHidden} starts with ${c.initialHidden[0]}: give one of them`,
        );
    } else if (c.initialHiddenSize !== undefined && c.initialHiddenSize > finals[0]) {
      issue('finalHiddenSize', 'must be at least {initialHiddenSize}');
    }
  })
  .transform((c) => {
    const hidden = c.hidden ?? [c.finalHiddenSize ?? 512];
    const initialHidden =
      c.initialHidden ??
      hidden.map((w, i) =>
        i === 0 && c.initialHiddenSize !== undefined ? c.initialHiddenSize : Math.ceil(w / 2),
      );
    return {
      ...c,
      hidden,
      initialHidden,
      finalHiddenSize: hidden[0],
      initialHiddenSize: initialHidden[0],
      augment: c.augment ?? c.dataDir === undefined,
    };
  });

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
