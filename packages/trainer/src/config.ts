import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Training options, with the seed's names and defaults. Parse user input with
 * {@link resolveConfig}: every bad value becomes a ConfigError naming the field.
 */
export const trainConfigSchema = z
  .object({
    batchSize: z.number().int().min(1).max(65536).default(128),
    learningRate: z.number().positive().max(10).default(0.001),
    maxMemoryPercent: z.number().gt(0).max(100).default(80),
    warmupEpochs: z.number().int().min(0).default(5),
    growthEpochs: z.number().int().min(0).default(20),
    initialHiddenSize: z.number().int().min(1).max(65536).default(128),
    finalHiddenSize: z.number().int().min(1).max(65536).default(512),
    growthStrategy: z.enum(['net2net', 'zero-outgoing']).default('net2net'),
    epochs: z.number().int().min(0).max(10000).default(30),
    /** LR multiplier per `decayPatience` epochs after warmup (the seed's decay). */
    decay: z.number().gt(0).max(1).default(0.5),
    decayPatience: z.number().positive().default(5),
    /** Early stopping: epochs without a dev-accuracy gain before stopping (0 = off). */
    patience: z.number().int().min(0).default(8),
    minDelta: z.number().min(0).default(0),
    accumulate: z.number().int().min(1).max(1024).default(1),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(42),
    augment: z.boolean().default(true),
    backend: z.enum(['auto', 'cpu', 'gpu']).default('auto'),
    dataDir: z.string().min(1).optional(),
    /** Class count of a `dataDir` dataset whose training labels do not show every class. */
    classes: z.number().int().min(2).max(256).optional(),
    outDir: z.string().min(1).default('runs/latest'),
    devSize: z.number().int().min(1).default(5000),
    /** Use only the first N training images (quick runs and tests); 0 = all. */
    trainLimit: z.number().int().min(0).default(0),
    /** Use only the first N test images; 0 = all. */
    testLimit: z.number().int().min(0).default(0),
    /** Write plots and report.html at the end. */
    report: z.boolean().default(true),
  })
  .strict()
  .refine((c) => c.finalHiddenSize >= c.initialHiddenSize, {
    path: ['finalHiddenSize'],
    message: 'must be at least initialHiddenSize',
  });

/** Fully resolved training options. */
export type TrainConfig = z.output<typeof trainConfigSchema>;
/** Options as a user gives them (all optional). */
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

/**
 * Validates options and fills in defaults.
 *
 * @example
 * ```ts
 * resolveConfig({ batchSize: 64 }).learningRate; // 0.001
 * resolveConfig({ batchSize: -1 });               // throws ConfigError "batchSize: …"
 * ```
 */
export function resolveConfig(input: unknown = {}): TrainConfig {
  const result = trainConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field =
    issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'config');
  const message = issue.code === 'unrecognized_keys' ? 'unknown option' : issue.message;
  throw new ConfigError(field, message);
}
