import { existsSync, lstatSync, mkdirSync, renameSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Where runs go when --out is not given; `runs/latest` links to the newest. */
export const RUNS_DIR = 'runs';
export const LATEST = join(RUNS_DIR, 'latest');

/**
 * Makes a fresh directory for a new run, `runs/2026-11-30T02-15-07` (`-2`, `-3`… if taken), so
 * runs without --out never replace one another. Created exclusively, so two runs started in the
 * same second get two directories.
 */
export function newRunDirectory(now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replaceAll(':', '-');
  mkdirSync(RUNS_DIR, { recursive: true });
  for (let i = 1; ; i++) {
    const dir = join(RUNS_DIR, i === 1 ? stamp : `${stamp}-${i}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Removes a run directory made by {@link newRunDirectory} if the run left nothing in it. */
export function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (the run wrote something worth keeping) or already gone.
  }
}

/**
 * Points `runs/latest` at `dir` (atomically: a new link renamed over the old one). A `runs/latest`
 * directory from an earlier Sprout version is first renamed to `runs/latest-before-<date-time>`,
 * so that the defaults of --continue-training and --evaluate follow the new run. Returns a note
 * for the user, or null.
 */
export function linkLatest(dir: string, now = new Date()): string | null {
  let note: string | null = null;
  try {
    if (existsSync(LATEST) && !lstatSync(LATEST).isSymbolicLink()) {
      const moved = join(RUNS_DIR, `latest-before-${now.toISOString().slice(0, 19).replaceAll(':', '-')}`);
      renameSync(LATEST, moved);
      note = `${LATEST} was a directory from an earlier Sprout version: it is now ${moved}`;
    }
    const tmp = `${LATEST}.tmp-${process.pid}`;
    rmSync(tmp, { force: true });
    symlinkSync(basename(dir), tmp);
    renameSync(tmp, LATEST);
    return note;
  } catch (error) {
    return `could not link ${LATEST} to ${dir} (${(error as Error).message}); this run is in ${dir}`;
  }
}
