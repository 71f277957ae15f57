import { describe, expect, it } from 'vitest';
import { FeatureBatches, gatherRows } from './featureBatches.js';
import { classNamesOf, featureTable } from './featureTable.js';
import { fitStandardization, standardize } from './standardize.js';

describe('featureTable', () => {
  it('takes rows or one flat array, ids or names', () => {
    const rows = featureTable({
      x: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      y: [0, 1, 0],
    });
    const flat = featureTable({ x: Float64Array.of(1, 2, 3, 4, 5, 6), y: ['b', 'a', 'b'] }, { features: 2 });
    expect(Array.from(rows.x)).toEqual(Array.from(flat.x));
    expect(rows.classNames).toBeUndefined();
    expect(classNamesOf(rows)).toEqual(['0', '1']);
    expect(flat.classNames).toEqual(['a', 'b']);
    expect(Array.from(flat.labels)).toEqual([1, 0, 1]);
    expect(rows.featureNames).toEqual(['x0', 'x1']);
  });

  it('names the row and feature of a value that is not finite, and other misfits', () => {
    expect(() =>
      featureTable({
        x: [
          [1, 2],
          [3, Number.NaN],
        ],
        y: [0, 1],
      }),
    ).toThrow(/arrays: row 1, feature 1 is NaN: every feature must be a finite number/);
    expect(() => featureTable({ x: [[1, 2], [3]], y: [0, 1] })).toThrow(/row 1 has 1 values, expected 2/);
    expect(() => featureTable({ x: [1, 2, 3], y: [0, 1] })).toThrow(/give features/);
    expect(() => featureTable({ x: [1, 2, 3], y: [0, 1] }, { features: 2 })).toThrow(/not a multiple of 2/);
    expect(() => featureTable({ x: [[1], [2]], y: [0] })).toThrow(/x has 2 rows but y has 1 labels/);
    expect(() => featureTable({ x: [[1], [2]], y: [3, 3] })).toThrow(/at least two classes/);
    // A missing value is not a 0, nor a class called "null".
    expect(() =>
      featureTable({
        x: [
          [1, 2],
          [3, null as unknown as number],
        ],
        y: [0, 1],
      }),
    ).toThrow(/row 1, feature 1 is null: every feature must be a finite number/);
    expect(() => featureTable({ x: [[1], [2], [3]], y: [0, 1, null as unknown as number] })).toThrow(
      /label 2 is null: a class is a number \(0, 1, …\) or a non-empty name/,
    );
    expect(() => featureTable({ x: [[1], [2]], y: ['a', ''] })).toThrow(/label 1 is "": a class is/);
    expect(() => featureTable({ x: [[1]], y: ['z'] }, { classNames: ['x', 'y'] })).toThrow(
      /label 0 is "z", a class the training data does not have/,
    );
  });
});

describe('standardize', () => {
  it('gives each feature mean 0 and std 1 (a constant one maps to 0), at wildly different scales', () => {
    const x = Float32Array.of(1e6, 0.001, 5, 2e6, 0.002, 5, 3e6, 0.003, 5);
    const stats = fitStandardization(x, 3, 3);
    expect(stats.std[2]).toBe(1);
    const z = standardize(x, stats);
    for (let c = 0; c < 3; c++) {
      const col = [z[c], z[3 + c], z[6 + c]];
      expect(col.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 5);
      if (c < 2) expect(col.map((v) => v.toFixed(4))).toEqual(['-1.2247', '0.0000', '1.2247']);
    }
  });
});

describe('FeatureBatches', () => {
  const table = {
    x: Float32Array.from({ length: 14 }, (_, i) => i),
    labels: Uint8Array.of(0, 1, 2, 3, 4, 5, 6),
    features: 2,
  };
  const index = Int32Array.of(0, 1, 2, 3, 4, 5, 6);
  it('covers every row once an epoch, the same order for the same seed and epoch', () => {
    // Batches are views of reused buffers: read each before the next.
    const order = (seed: number, epoch: number) => {
      const seen: number[] = [];
      for (const b of new FeatureBatches(table, index, { batchSize: 3, seed }).epoch(epoch))
        seen.push(...b.labels);
      return seen;
    };
    expect([...order(1, 1)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(order(1, 1)).toEqual(order(1, 1));
    expect(order(1, 2)).not.toEqual(order(1, 1));
    const first = new FeatureBatches(table, index, { batchSize: 7, seed: 1 }).epoch(1).next().value;
    // Each row's features travel with its label.
    const pairs = Array.from(first?.labels ?? [], (k, i) => [first?.x[2 * i], first?.x[2 * i + 1], k]);
    expect(pairs).toHaveLength(7);
    for (const [a, b, k] of pairs) expect([a, b]).toEqual([2 * (k as number), 2 * (k as number) + 1]);
    expect(gatherRows(table, Int32Array.of(6, 0)).x).toEqual(Float32Array.of(12, 13, 0, 1));
  });
});
