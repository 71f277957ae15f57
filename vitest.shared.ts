import { join } from 'node:path';
import { defineConfig, type UserWorkspaceConfig } from 'vitest/config';

/**
 * The one test configuration every package extends (its `vitest.config.ts` calls
 * {@link sproutTestConfig}). Two sets:
 *
 * - **fast** (`vitest run`, the package's `test` script): every `*.test.ts` but `*.slow.test.ts`.
 *   turbo runs the packages' fast sets side by side, so each uses one worker.
 * - **slow** (`vitest run --mode slow`, the `test:slow` script): the `*.slow.test.ts` files — leak
 *   runs, determinism soaks, Chromium pages, packing and installing tarballs. The root `pnpm test`
 *   runs them after the fast sets, one package at a time, one file at a time, so no two heavy
 *   checks ever share the 2 cores.
 *
 * Timeouts are sized from measurement, not hope. Under `bash scripts/test-under-load.sh` (one core
 * held by a busy loop, turbo running the other packages' tasks beside it) the slowest fast test
 * took 8.1 s (the CLI's SIGINT-and-resume test; 6.8 s in another run), so a fast test gets 90 s
 * (11×); the slowest slow test took 36 s (packing and installing every tarball with npm), so one
 * gets 600 s (17×). Hooks get the same; Playwright's in-page waits 300 s. No test asserts a
 * duration; speed lives in the benchmarks.
 * Each result is also written to `.test-results/<set>.json`, which `scripts/test.mjs` totals.
 */
export const FAST_TEST_TIMEOUT_MS = 90_000;
/** See {@link FAST_TEST_TIMEOUT_MS}. */
export const SLOW_TEST_TIMEOUT_MS = 600_000;

/** The test configuration of the package in `packageDir`, for the set chosen by `--mode`. */
export function sproutTestConfig(packageDir: string, overrides: UserWorkspaceConfig['test'] = {}) {
  return defineConfig(({ mode }) => {
    const slow = mode === 'slow';
    return {
      test: {
        include: slow ? ['**/*.slow.test.ts'] : ['**/*.test.ts'],
        exclude: ['**/node_modules/**', '**/dist/**', ...(slow ? [] : ['**/*.slow.test.ts'])],
        testTimeout: slow ? SLOW_TEST_TIMEOUT_MS : FAST_TEST_TIMEOUT_MS,
        hookTimeout: slow ? SLOW_TEST_TIMEOUT_MS : FAST_TEST_TIMEOUT_MS,
        teardownTimeout: 60_000,
        // One worker per package: turbo already runs packages side by side on 2 cores.
        maxWorkers: 1,
        fileParallelism: false,
        passWithNoTests: true,
        // Leak checks collect garbage before they read RSS.
        execArgv: ['--expose-gc'],
        reporters: ['default', 'json'],
        outputFile: { json: join(packageDir, '.test-results', `${slow ? 'slow' : 'fast'}.json`) },
        ...overrides,
      },
    };
  });
}
