/** Thrown when operands' shapes do not fit an op; the message names the op and both shapes. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** Thrown when a requested backend cannot run; `reason` says why in one line. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
  constructor(
    readonly backend: string,
    readonly reason: string,
  ) {
    super(`backend "${backend}" is unavailable: ${reason}`);
  }
}
