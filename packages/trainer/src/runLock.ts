import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RunDirectoryError, RunFileError } from './errors.js';
import { fsErrorMessage, processAlive } from './runFiles.js';

/** The lock file that marks a run directory as in use by one process. */
export const LOCK_FILE = '.sprout.lock';

/**
 * Takes the run directory for this process: creates `.sprout.lock` holding the pid, exclusively.
 * Another live process's lock is refused with its pid; a lock left by a dead process is recovered.
 * Returns the release function (idempotent).
 */
export function acquireRunLock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
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
    let owner = Number.NaN;
    try {
      owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
    } catch {
      // Removed meanwhile: try again.
    }
    if (processAlive(owner) && owner !== process.pid) {
      throw new RunDirectoryError(
        `${dir} is in use by another sprout run (pid ${owner}): wait for it to finish, or use another --out`,
      );
    }
    try {
      unlinkSync(file); // stale: its process is gone
    } catch {
      // Someone else recovered it first.
    }
  }
  throw new RunDirectoryError(`${dir}: could not take the run lock ${file}`);
}
