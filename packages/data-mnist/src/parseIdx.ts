import { IdxFormatError } from './errors.js';
import { checkIdxSize, readIdxHeader } from './idxHeader.js';
import type { IdxArray } from './readIdx.js';

/**
 * Parses a whole IDX file of unsigned bytes held in memory (browsers, after fetching and
 * decompressing it) with the checks {@link readIdx} makes on a stream: the magic number (and
 * `expectMagic` when given), 1 to 4 non-zero dimensions, and exactly as many bytes as they
 * promise. Errors are IdxFormatErrors naming `file` and the byte offset.
 *
 * @example
 * ```ts
 * const { dims, data } = parseIdx(bytes, 'train-images-idx3-ubyte.gz', 2051); // [60000, 28, 28]
 * ```
 */
export function parseIdx(bytes: Uint8Array, file: string, expectMagic?: number): IdxArray {
  const header = readIdxHeader(bytes, file, expectMagic);
  if (!header)
    throw new IdxFormatError(file, 0, 'an IDX header (4-byte magic number)', `${bytes.length} bytes`);
  const { headerLength, dims } = header;
  if (!dims)
    throw new IdxFormatError(
      file,
      bytes.length,
      `a ${headerLength}-byte header`,
      `${bytes.length} bytes (truncated)`,
    );
  checkIdxSize(file, bytes.length, headerLength, dims);
  return { dims, data: bytes.subarray(headerLength) };
}
