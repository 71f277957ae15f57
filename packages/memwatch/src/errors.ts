/** A memory budget string or number is not valid; names the value and what is accepted. */
export class MemoryBudgetError extends Error {
  override name = 'MemoryBudgetError';
}

/** Thrown by {@link MemoryWatch.assertWithinBudget} when memory use reached the critical level. */
export class MemoryLimitExceededError extends Error {
  override name = 'MemoryLimitExceededError';
  constructor(
    readonly rssBytes: number,
    readonly budgetBytes: number,
  ) {
    super(
      `memory use ${(rssBytes / 2 ** 20).toFixed(0)} MiB reached the critical level of the ${(budgetBytes / 2 ** 20).toFixed(0)} MiB budget; stopping before the process is killed`,
    );
  }
}
