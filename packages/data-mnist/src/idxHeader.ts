import { IdxFormatError } from './errors.js';

const UBYTE = 0x08;

/** What an IDX header says: its length once the rank is known, its dims once it is all there. */
export interface IdxHeader {
  headerLength: number;
  dims: number[] | null;
}

/**
 * Checks the first bytes of an IDX file of unsigned bytes — the magic number (and `expectMagic`
 * when given), 1 to 4 dimensions, none of them 0 — as far as `header` goes: null before the
 * 4-byte magic, `dims` null until the whole header is there. Shared by the stream reader
 * ({@link readIdx}) and the in-memory one ({@link parseIdx}); errors name `file` and the offset.
 */
export function readIdxHeader(header: Uint8Array, file: string, expectMagic?: number): IdxHeader | null {
  if (header.length < 4) return null;
  const magic = ((header[0] << 24) | (header[1] << 16) | (header[2] << 8) | header[3]) >>> 0;
  if (
    header[0] !== 0 ||
    header[1] !== 0 ||
    header[2] !== UBYTE ||
    (expectMagic !== undefined && magic !== expectMagic)
  )
    throw new IdxFormatError(
      file,
      0,
      `magic number ${expectMagic ?? '0x0000080N (unsigned bytes)'}`,
      String(magic),
    );
  const rank = header[3];
  if (rank < 1 || rank > 4) throw new IdxFormatError(file, 3, 'between 1 and 4 dimensions', String(rank));
  const headerLength = 4 + 4 * rank;
  if (header.length < headerLength) return { headerLength, dims: null };
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  dims.forEach((d, i) => {
    if (d === 0) throw new IdxFormatError(file, 4 + 4 * i, `a non-zero size for dimension ${i}`, '0');
  });
  return { headerLength, dims };
}

/** Throws unless a file of `size` bytes is exactly the header plus the data its dims promise. */
export function checkIdxSize(file: string, size: number, headerLength: number, dims: number[]): void {
  const expected = headerLength + dims.reduce((a, b) => a * b, 1);
  if (size !== expected)
    throw new IdxFormatError(
      file,
      Math.min(size, expected),
      `${expected} bytes for dims [${dims.join(', ')}]`,
      `${size} bytes (${size < expected ? 'truncated' : 'trailing data'})`,
    );
}
