import { nameOptions } from './options.js';

/**
 * A training option has a bad value; `field` names it. `detail` may name other options as
 * `{option}`: the message names them as the library does, {@link ConfigError.describe} as a
 * caller does (the CLI by its flags).
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${nameOptions(detail)}`);
  }

  /** The message with the field and the options it mentions named by `name`. */
  describe(name: (option: string) => string): string {
    return `${name(this.field)}: ${nameOptions(this.detail, name)}`;
  }
}

/** A checkpoint is missing, corrupt or does not fit the run; it is never overwritten. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** A run directory cannot be used as asked: it holds another run, or another process is using it. */
export class RunDirectoryError extends Error {
  override name = 'RunDirectoryError';
}

/** A run file cannot be written or read (the message names the path and why, e.g. disk full). */
export class RunFileError extends Error {
  override name = 'RunFileError';
}

/** Training has gone wrong (non-finite values, an exploding loss); the last good checkpoint is kept. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

/** The backend failed under a run (a GPU lost its context); the last checkpoint is kept. */
export class BackendLostError extends Error {
  override name = 'BackendLostError';
}

/** A dataset does not fit a model or a checkpoint (image size, classes, changed contents). */
export class DatasetMismatchError extends Error {
  override name = 'DatasetMismatchError';
}
