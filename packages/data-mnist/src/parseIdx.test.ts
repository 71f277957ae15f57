import { expect, it } from 'vitest';
import { IdxFormatError } from './errors.js';
import { parseIdx } from './parseIdx.js';
import { idxBytes } from './test-support/idxFixtures.js';

it('parses IDX bytes in memory with the stream reader’s checks', () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const { dims, data: values } = parseIdx(idxBytes(2051, [2, 3, 4], data), 'x.gzip', 2051);
  expect(dims).toEqual([2, 3, 4]);
  expect(Array.from(values)).toEqual(Array.from(data));
  const good = idxBytes(2051, [2, 3, 4], data);
  for (const [bytes, message] of [
    [
      good.subarray(0, good.length - 1),
      /x\.gzip: at byte 39: expected 40 bytes for dims \[2, 3, 4\], found 39 bytes \(truncated\)/,
    ],
    [new Uint8Array([...good, 0]), /found 41 bytes \(trailing data\)/],
    [idxBytes(2049, [24], data), /expected magic number 2051/],
    [idxBytes(2051, [2, 0, 4], new Uint8Array(0)), /at byte 8: expected a non-zero size for dimension 1/],
    [new Uint8Array([0, 0]), /expected an IDX header/],
  ] as const) {
    expect(() => parseIdx(bytes, 'x.gzip', 2051)).toThrow(IdxFormatError);
    expect(() => parseIdx(bytes, 'x.gzip', 2051)).toThrow(message);
  }
});
