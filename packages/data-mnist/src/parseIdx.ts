import { IdxFormatError } from './errors.js';
import type { IdxArray } from './readIdx.js';

const UBYTE = 0x08;

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
  if (bytes.length < 4)
    throw new IdxFormatError(file, 0, 'an IDX header (4-byte magic number)', `${bytes.length} bytes`);
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  if (
    bytes[0] !== 0 ||
    bytes[1] !== 0 ||
    bytes[2] !== UBYTE ||
    (expectMagic !== undefined && magic !== expectMagic)
  )
    throw new IdxFormatError(
      file,
      0,
      `magic number ${expectMagic ?? '0x0000080N (unsigned bytes)'}`,
      String(magic),
    );
  const rank = bytes[3];
  if (rank < 1 || rank > 4) throw new IdxFormatError(file, 3, 'between 1 and 4 dimensions', String(rank));
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength)
    throw new IdxFormatError(
      file,
      bytes.length,
      `a ${headerLength}-byte header`,
      `${bytes.length} bytes (truncated)`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  dims.forEach((d, i) => {
    if (d === 0) throw new IdxFormatError(file, 4 + 4 * i, `a non-zero size for dimension ${i}`, '0');
  });
  const total = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== headerLength + total)
    throw new IdxFormatError(
      file,
      Math.min(bytes.length, headerLength + total),
      `${headerLength + total} bytes for dims [${dims.join(', ')}]`,
      `${bytes.length} bytes (${bytes.length < headerLength + total ? 'truncated' : 'trailing data'})`,
    );
  return { dims, data: bytes.subarray(headerLength) };
}
