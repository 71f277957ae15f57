import { MemoryBudgetError } from './errors.js';

/** A memory budget: a share of the memory available to the process, or an absolute size. */
export type Budget = { kind: 'percent'; percent: number } | { kind: 'bytes'; bytes: number };

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
};

/**
 * Parses "80%", "1.5GB", "512MiB" or a number of bytes.
 *
 * @example
 * ```ts
 * parseBudget('80%');   // { kind: 'percent', percent: 80 }
 * parseBudget('1.5GB'); // { kind: 'bytes', bytes: 1.5e9 }
 * parseBudget('120%');  // throws MemoryBudgetError
 * ```
 */
export function parseBudget(input: string | number): Budget {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input <= 0)
      throw new MemoryBudgetError(`memory budget must be a positive number of bytes, got ${input}`);
    return { kind: 'bytes', bytes: input };
  }
  const text = input.trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    if (value <= 0 || value > 100)
      throw new MemoryBudgetError(`memory budget "${input}" must be a percentage in (0, 100]`);
    return { kind: 'percent', percent: value };
  }
  const size = /^(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text);
  if (!size) {
    throw new MemoryBudgetError(
      `memory budget "${input}" is not understood: use a percentage ("80%") or a size ("1.5GB", "512MiB")`,
    );
  }
  const unit = UNITS[(size[2] || 'b').toLowerCase()];
  if (unit === undefined)
    throw new MemoryBudgetError(
      `memory budget "${input}": unknown unit "${size[2]}" (use B, KB, MB, GB, KiB, MiB, GiB)`,
    );
  const bytes = Number(size[1]) * unit;
  if (bytes <= 0) throw new MemoryBudgetError(`memory budget "${input}" must be positive`);
  return { kind: 'bytes', bytes };
}

/** The budget in bytes, given the memory available to the process. */
export function budgetBytes(budget: Budget, availableBytes: number): number {
  return budget.kind === 'bytes' ? budget.bytes : (budget.percent / 100) * availableBytes;
}
