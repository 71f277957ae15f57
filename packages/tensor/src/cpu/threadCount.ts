/** How many kernel threads to run: `auto` (the cores this process may use) or a count. */
export type ThreadsOption = 'auto' | number;

/** More threads than this many per core are clamped (they only add hand-offs). */
export const MAX_THREADS_PER_CORE = 4;

/** What {@link resolveThreadCount} decided. */
export interface ThreadCount {
  /** Threads in all, the caller's included (1: no workers). */
  threads: number;
  /** The cores this process may use. */
  cores: number;
  /** Said when the request was changed (clamped), else null. */
  note: string | null;
}

// biome-ignore lint/suspicious/noExplicitAny: getBuiltinModule is Node ≥ 20.16; absent in browsers
const nodeModule = (name: string): any => (globalThis as any).process?.getBuiltinModule?.(name);

/** The CPU quota of this process's cgroup (v2 `cpu.max`, or v1 `cfs_quota_us`), in cores, if any. */
function cgroupCpuLimit(): number | null {
  const fs = nodeModule('node:fs');
  if (!fs) return null;
  const read = (path: string): string | null => {
    try {
      return fs.readFileSync(path, 'utf8').trim();
    } catch {
      return null;
    }
  };
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2) {
    const [quota, period] = v2.split(/\s+/);
    if (quota !== 'max' && Number(period) > 0) return Math.max(1, Math.ceil(Number(quota) / Number(period)));
    return null;
  }
  const quota = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
  const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
  return quota > 0 && period > 0 ? Math.max(1, Math.ceil(quota / period)) : null;
}

/**
 * The cores this process may use: in Node, `os.availableParallelism()` (the CPUs it may run on)
 * capped by its cgroup's CPU quota (a container given 2 CPUs of a 64-core host has 2); in a
 * browser, `navigator.hardwareConcurrency`.
 */
export function availableCores(): number {
  const os = nodeModule('node:os');
  if (os) {
    const cpus = os.availableParallelism?.() ?? os.cpus().length;
    return Math.max(1, Math.min(cpus, cgroupCpuLimit() ?? cpus));
  }
  // biome-ignore lint/suspicious/noExplicitAny: browser global
  return Math.max(1, Number((globalThis as any).navigator?.hardwareConcurrency) || 1);
}

/**
 * Reads a thread count as a user typed it (`auto`, or a whole number ≥ 1); throws a RangeError
 * that names `source` (a flag, a variable) and what was expected.
 */
export function parseThreads(text: string, source: string): ThreadsOption {
  const value = text.trim();
  if (value === 'auto') return 'auto';
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new RangeError(`${source} must be auto or a whole number of threads ≥ 1; got "${text}"`);
  return Number(value);
}

/**
 * The thread count from the environment variable SPROUT_THREADS (`auto`, a count, or `0` for
 * one thread), or undefined when it is not set; throws naming the variable when it is garbage.
 */
export function envThreads(): ThreadsOption | undefined {
  const value = nodeModule('node:process')?.env?.SPROUT_THREADS as string | undefined;
  if (value === undefined || value === '') return undefined;
  if (value.trim() === '0') return 1;
  return parseThreads(value, 'SPROUT_THREADS');
}

/**
 * Decides the kernel threads: `auto` takes every core this process may use; a count is taken as it
 * is up to {@link MAX_THREADS_PER_CORE} per core (more than the cores works, only slower), and
 * clamped above that with a note saying so. Throws a RangeError for a count that is not a whole
 * number ≥ 1.
 */
export function resolveThreadCount(option: ThreadsOption | boolean, cores = availableCores()): ThreadCount {
  if (option === false) return { threads: 1, cores, note: null };
  if (option === true || option === 'auto') return { threads: cores, cores, note: null };
  if (!Number.isInteger(option) || option < 1)
    throw new RangeError(`threads must be auto or a whole number ≥ 1; got ${option}`);
  const most = MAX_THREADS_PER_CORE * cores;
  if (option > most)
    return {
      threads: most,
      cores,
      note: `${option} threads asked for, ${most} used (${MAX_THREADS_PER_CORE} per core, ${cores} cores)`,
    };
  return { threads: option, cores, note: null };
}
