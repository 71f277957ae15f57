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

/**
 * Thrown at a read-back when the GPU has lost its context (a driver reset, the GPU taken by
 * another process, a browser reclaiming it): every value on it is gone, so nothing read from it
 * may be trusted or saved.
 */
export class GpuContextLostError extends Error {
  override name = 'GpuContextLostError';
  constructor(readonly detail: string) {
    super(`the GPU lost its context (${detail}): the values on it are gone`);
  }
}
