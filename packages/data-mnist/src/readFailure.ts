import { DatasetError } from './errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent of it is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'an input/output error',
  ELOOP: 'too many symbolic links',
};

/**
 * What the file system said when `file` could not be read, as one line naming the file
 * (`cannot read F: it is a directory (EISDIR)`); any other error is returned as it is.
 */
export function readFailure(file: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('E')) return error;
  const reason = REASONS[code] ?? (error as Error).message;
  return new DatasetError(`cannot read ${file}: ${reason}${REASONS[code] ? ` (${code})` : ''}`);
}
