import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '@sprout/trainer/internals';

// A queue worker trains in `<root>/sprout-worker-<host>-<pid>`. The host is in the name so that
// containers sharing one temp directory (their pids overlap) never touch each other's.
const PREFIX = 'sprout-worker-';

/** What the names of this host's scratch directories start with. */
function hostPrefix(): string {
  return `${PREFIX}${hostname().replace(/[^A-Za-z0-9.-]/g, '_')}-`;
}

/** The scratch directory's name of this host's worker `pid`. */
export function scratchName(pid: number): string {
  return `${hostPrefix()}${pid}`;
}

/** This process's scratch directory under `root`, created; any that killed workers left there are removed. */
export function workerScratch(root: string): string {
  removeOrphans(root);
  const dir = join(root, scratchName(process.pid));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Scratch directories under `root` of this host's workers whose process is gone (killed with -9). */
export function removeOrphans(root: string): string[] {
  const mine = hostPrefix();
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(mine)) continue;
    const pid = Number(name.slice(mine.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
