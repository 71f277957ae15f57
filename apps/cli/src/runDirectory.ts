import { existsSync, lstatSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Where runs go when --out is not given; `runs/latest` links to the newest. */
export const RUNS_DIR = 'runs';
export const LATEST = join(RUNS_DIR, 'latest');

/**
 * A fresh directory name for a new run, `runs/2026-11-30T02-15-07` (with `-2`, `-3`… if taken),
 * so that runs without --out never replace one another. The trainer creates it.
 */
export function newRunDirectory(now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replaceAll(':', '-');
  let dir = join(RUNS_DIR, stamp);
  for (let i = 2; existsSync(dir); i++) dir = join(RUNS_DIR, `${stamp}-${i}`);
  return dir;
}

/**
 * Points `runs/latest` at `dir` (atomically: a new link renamed over the old one). Returns a note
 * for the user when it cannot, e.g. a `runs/latest` directory from an older Sprout, which is kept.
 */
export function linkLatest(dir: string): string | null {
  try {
    if (existsSync(LATEST) && !lstatSync(LATEST).isSymbolicLink())
      return `${LATEST} is a directory from an earlier Sprout version, left as it is; this run is in ${dir}`;
    const tmp = `${LATEST}.tmp-${process.pid}`;
    try {
      unlinkSync(tmp);
    } catch {
      // None left over.
    }
    symlinkSync(basename(dir), tmp);
    renameSync(tmp, LATEST);
    return null;
  } catch (error) {
    return `could not link ${LATEST} to ${dir} (${(error as Error).message}); this run is in ${dir}`;
  }
}

/** True when `dir` is the default `runs/latest` (the link), so messages can say where it points. */
export function isLatest(dir: string): boolean {
  return dir === LATEST || dir === `${LATEST}/` || (basename(dir) === 'latest' && dirname(dir) === RUNS_DIR);
}
