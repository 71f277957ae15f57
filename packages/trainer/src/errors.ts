/** A training option has a bad value; `field` names it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A checkpoint is missing, corrupt or does not fit the run; it is never overwritten. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}
