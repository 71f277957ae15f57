import { ImageFormatError } from '@sprout/data-mnist';
import { MemoryBudgetError } from '@sprout/memwatch';
import { ConfigError, DatasetMismatchError, RunDirectoryError } from './errors.js';

/**
 * Errors the user fixes by changing what they asked for (an option, the run directory, the
 * dataset) rather than a failure while running: the CLI exits 2 for these, 1 for the rest.
 */
export function isUsageError(error: unknown): boolean {
  return (
    error instanceof ConfigError ||
    error instanceof ImageFormatError ||
    error instanceof MemoryBudgetError ||
    error instanceof RunDirectoryError ||
    error instanceof DatasetMismatchError
  );
}
