// Written out rather than inferred from the zod schema, so the published .d.ts imports no zod
// (searchSpace.ts checks at compile time that they are the same type).

/** How one option of a search space is drawn. */
export type Distribution =
  | { choice: (number | string | boolean | number[])[] }
  | { uniform: [number, number] }
  | { log: [number, number] }
  | { int: [number, number] };

/**
 * A search space file (JSON): fixed `base` options, the `search` distributions (any training
 * option), how many `trials` to sample, and the successive-halving budget: trials run
 * `minEpochs`, the best 1/`reduction` go on to `minEpochs·reduction`, … up to `maxEpochs`.
 */
export interface SearchSpace {
  $comment?: string | undefined;
  base: Record<string, unknown>;
  search: Record<string, Distribution>;
  trials: number;
  minEpochs: number;
  maxEpochs: number;
  reduction: number;
  /** Seeds the sampling of configurations (training runs use the base `seed`). */
  seed: number;
  /**
   * `asynchronous` (default, ASHA): a free worker promotes any trial already in the top 1/η of
   * its rung, so no worker waits, but which trials are promoted can depend on which finished
   * first. `synchronous` (successive halving): a rung's promotions wait until all its trials
   * have reported, so the choice is the same for any number of workers, killed or not.
   */
  promotion: 'asynchronous' | 'synchronous';
}
