import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RunFileError } from './errors.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent of it is not a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'it already exists',
};

/** One line for a failed file operation: what, on which path, and why in words. */
export function fsErrorMessage(action: string, path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const reason = REASONS[code] ?? (error as Error).message;
  return `cannot ${action} ${path}: ${reason}${code && REASONS[code] ? ` (${code})` : ''}`;
}

/** The temp file a write of `file` goes through; the pid lets a later run find orphans. */
function tempPath(file: string): string {
  return `${file}.tmp-${process.pid}`;
}

/**
 * Writes a file so that a crash or a full disk at any moment leaves either the old file or the
 * new one, never a torn one: temp file in the same directory, fsync, rename, fsync the directory.
 * Failures are RunFileErrors naming the path; the temp file is removed and the old file kept.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const tmp = tempPath(file);
  const parts = typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    for (const part of parts) {
      let written = 0;
      while (written < part.length) written += writeSync(fd, part, written, part.length - written);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, file);
  } catch (error) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already renamed.
    }
    throw new RunFileError(fsErrorMessage('write', file, error));
  }
  syncDirectory(dirname(file));
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

/** True when a process with this pid exists (it may belong to another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files left in `dir` by runs that died mid-write; returns their names. */
export function removeOrphanTemps(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = /\.tmp-(\d+)$/.exec(name);
    if (!match || Number(match[1]) === process.pid || processAlive(Number(match[1]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // Someone else removed it first.
    }
  }
  return removed;
}

/** `mkdir -p` whose failure names the directory and the reason. */
export function ensureDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      // mkdir -p says EEXIST for a file or a dangling link where the directory should be.
      const what = existsSync(dir) ? 'it is a file, not a directory' : 'it is a broken symbolic link';
      throw new RunFileError(`cannot create the run directory ${dir}: ${what}`);
    }
    throw new RunFileError(fsErrorMessage('create the run directory', dir, firstMkdirError(dir) ?? error));
  }
}

/**
 * Recursive mkdir reports ENOENT on a read-only file system; creating the first missing level on
 * its own gives the real reason (EROFS, EACCES…).
 */
function firstMkdirError(dir: string): unknown {
  let first = resolve(dir);
  while (!existsSync(dirname(first)) && dirname(first) !== first) first = dirname(first);
  try {
    mkdirSync(first);
    rmdirSync(first);
    return null;
  } catch (error) {
    return error;
  }
}
