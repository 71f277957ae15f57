import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { IdxFormatError } from './errors.js';
import { checkIdxSize, readIdxHeader } from './idxHeader.js';
import { readFailure } from './readFailure.js';

/** A decoded IDX file of unsigned bytes: `dims` from the header, `data` row-major. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Reads an IDX file of unsigned bytes (plain or gzip, detected from the first bytes), streaming it
 * in chunks straight into one Uint8Array sized from the header. Validates the magic number
 * (`expectMagic`, e.g. 2051 images / 2049 labels), the dimensions and the length.
 *
 * @example
 * ```ts
 * const images = await readIdx('train-images-idx3-ubyte', 2051); // dims [60000, 28, 28]
 * ```
 */
export async function readIdx(file: string, expectMagic?: number): Promise<IdxArray> {
  try {
    return await readIdxFile(file, expectMagic);
  } catch (error) {
    throw readFailure(file, error);
  }
}

async function readIdxFile(file: string, expectMagic?: number): Promise<IdxArray> {
  const head = await firstBytes(file, 2);
  const gzip = head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
  const fileSize = (await stat(file)).size;
  if (fileSize === 0)
    throw new IdxFormatError(file, 0, 'an IDX header (4-byte magic number)', 'an empty file');
  if (!gzip) return readPlainIdx(file, fileSize, expectMagic);
  // 64 KB chunks: freed chunks of this size are reused by the allocator, where 1 MB ones piled up
  // in the malloc heap (RSS the run never got back).
  const source = createReadStream(file, { highWaterMark: 1 << 16 });
  const stream = gzip ? source.pipe(createGunzip()) : source;
  source.on('error', (e) => stream.destroy(e));

  let header: Uint8Array = new Uint8Array(0);
  let dims: number[] | null = null;
  let data: Uint8Array | null = null;
  let filled = 0;
  let headerLength = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let bytes: Uint8Array = chunk;
      if (!dims) {
        header = concat(header, bytes);
        const read = readIdxHeader(header, file, expectMagic);
        if (!read) continue;
        headerLength = read.headerLength;
        if (!read.dims) continue;
        dims = read.dims;
        const total = dims.reduce((a, b) => a * b, 1);
        if (!gzip) checkIdxSize(file, fileSize, headerLength, dims);
        data = new Uint8Array(total);
        bytes = header.subarray(headerLength);
      }
      if (filled + bytes.length > data!.length) {
        throw new IdxFormatError(file, headerLength + data!.length, 'end of data', 'trailing bytes');
      }
      data!.set(bytes, filled);
      filled += bytes.length;
    }
  } catch (error) {
    if (error instanceof IdxFormatError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_') || /unexpected end|incorrect header|invalid/i.test((error as Error).message)) {
      throw new IdxFormatError(
        file,
        headerLength + filled,
        'a valid gzip stream',
        `corrupt gzip (${(error as Error).message})`,
      );
    }
    throw error;
  }
  if (!dims) {
    throw new IdxFormatError(file, header.length, `a complete IDX header`, `${header.length} bytes`);
  }
  if (filled !== data!.length) {
    throw new IdxFormatError(
      file,
      headerLength + filled,
      `${data!.length} data bytes`,
      `${filled} (truncated)`,
    );
  }
  return { dims, data: data! };
}

/**
 * An uncompressed IDX file: the header from its first bytes, then the data read straight into the
 * array that holds it (no chunk copies).
 */
async function readPlainIdx(file: string, fileSize: number, expectMagic?: number): Promise<IdxArray> {
  const { open } = await import('node:fs/promises');
  const handle = await open(file, 'r');
  try {
    // The longest header: the magic number and 4 dimensions.
    const head = new Uint8Array(Math.min(fileSize, 4 + 4 * 4));
    await handle.read(head, 0, head.length, 0);
    const read = readIdxHeader(head, file, expectMagic);
    if (!read?.dims)
      throw new IdxFormatError(file, head.length, 'a complete IDX header', `${head.length} bytes`);
    const { dims, headerLength } = read;
    checkIdxSize(file, fileSize, headerLength, dims);
    const data = new Uint8Array(dims.reduce((a, b) => a * b, 1));
    let filled = 0;
    while (filled < data.length) {
      const { bytesRead } = await handle.read(data, filled, data.length - filled, headerLength + filled);
      if (bytesRead === 0)
        throw new IdxFormatError(
          file,
          headerLength + filled,
          `${data.length} data bytes`,
          `${filled} (truncated)`,
        );
      filled += bytesRead;
    }
    return { dims, data };
  } finally {
    await handle.close();
  }
}

async function firstBytes(file: string, n: number): Promise<Uint8Array> {
  const { open } = await import('node:fs/promises');
  const handle = await open(file, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await handle.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
