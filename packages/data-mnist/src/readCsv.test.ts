import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classNamesOf } from './featureTable.js';
import { readCsvRows, readCsvTable } from './readCsv.js';

const dir = mkdtempSync(join(tmpdir(), 'sprout-csv-'));
let n = 0;
/** A fixture file with these exact bytes. */
function csv(text: string | Uint8Array): string {
  const file = join(dir, `f${n++}.csv`);
  writeFileSync(file, text);
  return file;
}

describe('readCsvTable', () => {
  it('reads quoted fields, CRLF, a byte-order mark and a blank last line; names become sorted class ids', async () => {
    const text = '\uFEFF"a","b,c",kind\r\n1,2.5,"dog"\r\n-3e2, 4 ,cat\r\n0.125,"7",dog\r\n\r\n';
    const table = await readCsvTable(csv(text), { label: 'kind' });
    expect(table.featureNames).toEqual(['a', 'b,c']);
    expect(table.count).toBe(3);
    expect(Array.from(table.x)).toEqual([1, 2.5, -300, 4, 0.125, 7]);
    expect(table.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(table.labels)).toEqual([1, 0, 1]);
  });

  it('takes labels 0..k−1 as the ids themselves, other numbers as sorted names', async () => {
    const ids = await readCsvTable(csv('x,y\n1,2\n2,0\n3,1\n'), { label: 'y' });
    expect(ids.classNames).toBeUndefined();
    expect(Array.from(ids.labels)).toEqual([2, 0, 1]);
    const wine = await readCsvTable(csv('x,quality\n1,10\n2,3\n3,5\n'), { label: 'quality' });
    expect(wine.classNames).toEqual(['3', '5', '10']);
    expect(Array.from(wine.labels)).toEqual([2, 0, 1]);
  });

  it('maps a test file into the training classes and columns (any column order)', async () => {
    const train = await readCsvTable(csv('a,b,k\n1,2,x\n3,4,y\n'), { label: 'k' });
    const test = await readCsvTable(csv('k,b,a\ny,20,10\n'), {
      label: 'k',
      classNames: classNamesOf(train),
      featureNames: train.featureNames,
    });
    expect(Array.from(test.x)).toEqual([10, 20]);
    expect(Array.from(test.labels)).toEqual([1]);
  });

  // Each bad file: one message naming the file and where in it, and what was expected.
  const bad: [string, string, Record<string, unknown>, RegExp][] = [
    [
      'a non-numeric value',
      'a,b,k\n1,2,x\n3,oops,y\n',
      {},
      /:? line 3, column 2 \(b\) is "oops": expected a finite number/,
    ],
    ['an empty value', 'a,b,k\n1,,x\n3,4,y\n', {}, /line 2, column 2 \(b\) is empty/],
    ['NaN', 'a,b,k\n1,NaN,x\n3,4,y\n', {}, /line 2, column 2 \(b\) is "NaN"/],
    ['Infinity', 'a,b,k\nInfinity,1,x\n3,4,y\n', {}, /line 2, column 1 \(a\) is "Infinity"/],
    ['a ragged row', 'a,b,k\n1,2,x\n3,y\n', {}, /line 3 has 2 fields, the header 3/],
    [
      'a missing label column',
      'a,b,c\n1,2,3\n',
      {},
      /no column "k" for the labels; the header has "a", "b", "c"/,
    ],
    ['an empty file', '', {}, /empty: expected a header row/],
    ['a header only', 'a,b,k\n', {}, /a header but no rows/],
    ['a single class', 'a,k\n1,x\n2,x\n', {}, /every label is "x": a classifier needs at least two classes/],
    ['an empty label', 'a,k\n1,x\n2,\n', {}, /line 3, column 2 \(k\): the label is empty/],
    ['a duplicate column', 'a,a,k\n1,2,x\n', {}, /the header names "a" twice/],
    ['an unclosed quote', 'a,k\n"1,x\n', {}, /not valid CSV/],
    [
      'more rows than fit',
      'a,k\n1,x\n2,y\n3,x\n',
      { maxBytes: 2 * 76, maxBytesWhy: 'in the test budget' },
      /more rows than fit in the test budget: 2 rows of 1 features fit \(stopped reading at line 4\)/,
    ],
    [
      'an unseen test class',
      'a,k\n1,z\n',
      { classNames: ['x', 'y'] },
      /line 2: the label is "z", a class the training data does not have \("x", "y"\)/,
    ],
    [
      'other columns than training',
      'a,c,k\n1,2,x\n',
      { featureNames: ['a', 'b'] },
      /its columns differ from the training data's: missing "b"; not in training "c"/,
    ],
  ];
  it.each(bad)('%s is one line naming the file and where', async (_, text, options, message) => {
    const file = csv(text);
    const error = await readCsvTable(file, { label: 'k', ...options }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('DatasetError');
    expect((error as Error).message.startsWith(file)).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('keeps values beyond float32 (read in float64), and skips a blank label column where none is needed', async () => {
    const rows = await readCsvRows(csv('t,k\n1e39,\n1700000001,\n'), { label: 'k' });
    expect(Array.from(rows.x)).toEqual([1e39, 1700000001]);
    expect(rows.labels).toBeNull();
  });

  it('a missing file or a directory says so', async () => {
    await expect(readCsvRows(join(dir, 'nope.csv'))).rejects.toThrow(/cannot read .*nope\.csv: no such file/);
    const sub = join(dir, 'sub.csv');
    mkdirSync(sub);
    await expect(readCsvRows(sub)).rejects.toThrow(/cannot read .*sub\.csv: it is a directory/);
  });
});
