import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunDirectoryError, RunFileError } from './errors.js';
import { fsErrorMessage, processAlive } from './runFiles.js';

/** The lock file that marks a run directory as in use by one process. */
export const LOCK_FILE = '.sprout.lock';

/** A lock file still empty or unreadable this long after it was made is left by a dead process. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

/**
 * Takes the run directory for this process: `.sprout.lock` holding the pid appears at once with
 * its content (written to a temp file, then hard-linked into place, which fails if a lock exists).
 * Another live process's lock is refused with its pid; a lock left by a dead process is recovered.
 * Returns the release function (idempotent).
 */
export function acquireRunLock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  const mine = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(mine, `${process.pid}\n`);
  } catch (error) {
    throw new RunFileError(fsErrorMessage('lock the run directory', dir, error));
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, file);
        let released = false;
        return () => {
          if (released) return;
          released = true;
          try {
            unlinkSync(file);
          } catch {
            // Already gone.
          }
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new RunFileError(fsErrorMessage('lock the run directory', dir, error));
      }
      const owner = lockOwner(file);
      if (owner === 'recent' || (owner !== null && owner !== process.pid && processAlive(owner))) {
        const who = owner === 'recent' ? 'another sprout run' : `another sprout run (pid ${owner})`;
        throw new RunDirectoryError(
          `${dir} is in use by ${who}: wait for it to finish, or use another --out`,
        );
      }
      try {
        unlinkSync(file); // stale: its process is gone
      } catch {
        // Someone else recovered it first.
      }
    }
  } finally {
    try {
      unlinkSync(mine);
    } catch {
      // Never written.
    }
  }
  throw new RunDirectoryError(`${dir}: could not take the run lock ${file}`);
}

/** The pid in a lock file; 'recent' for one unreadable but young; null for a stale or gone one. */
function lockOwner(file: string): number | 'recent' | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(pid) && pid > 0) return pid;
    return Date.now() - statSync(file).mtimeMs < UNREADABLE_LOCK_GRACE_MS ? 'recent' : null;
  } catch {
    return null;
  }
}

/** The pid of the live process holding `dir`'s run lock, or null when nobody does. */
export function runLockHolder(dir: string): number | null {
  const owner = lockOwner(join(dir, LOCK_FILE));
  if (owner === 'recent') return -1;
  return owner !== null && owner !== process.pid && processAlive(owner) ? owner : null;
}
