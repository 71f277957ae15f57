/**
 * A file is not a valid IDX file (or not the one expected). Names the file, the byte offset where
 * the problem is and what was expected there.
 */
export class IdxFormatError extends Error {
  override name = 'IdxFormatError';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly expected: string,
    found?: string,
  ) {
    super(`${file}: at byte ${offset}: expected ${expected}${found === undefined ? '' : `, found ${found}`}`);
  }
}

/** The images and labels of a dataset disagree, or a dataset directory is incomplete. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** A file given as an image is not one this package reads (PNG, PGM), or is corrupt or blank. */
export class ImageFormatError extends Error {
  override name = 'ImageFormatError';
}
