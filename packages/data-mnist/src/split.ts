import { mixSeed, seededRandom, shuffleInPlace } from './seededRandom.js';

/** Indices of the train and dev parts of a split. */
export interface Split {
  train: Int32Array;
  dev: Int32Array;
}

/**
 * A seeded, stratified train/dev split: each class gives the dev set its share of `devSize`
 * (largest remainders settle rounding), so class frequencies match in both parts.
 *
 * @example
 * ```ts
 * const { train, dev } = stratifiedSplit(mnist.train.labels, 5000, 42); // 55,000 / 5,000
 * ```
 */
export function stratifiedSplit(labels: ArrayLike<number>, devSize: number, seed: number): Split {
  const n = labels.length;
  if (!Number.isInteger(devSize) || devSize < 0 || devSize >= n) {
    throw new RangeError(`stratifiedSplit: devSize must be an integer in 0..${n - 1}, got ${devSize}`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = byClass.get(labels[i]) ?? [];
    list.push(i);
    byClass.set(labels[i], list);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const quotas = classes.map((c) => (byClass.get(c)!.length * devSize) / n);
  const take = quotas.map(Math.floor);
  const order = quotas
    .map((q, i) => [q - Math.floor(q), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let r = devSize - take.reduce((a, b) => a + b, 0), k = 0; r > 0; r--, k++) take[order[k][1]]++;
  const random = seededRandom(mixSeed(seed, 0x5f1));
  const dev: number[] = [];
  const train: number[] = [];
  classes.forEach((c, ci) => {
    const list = byClass.get(c)!;
    shuffleInPlace(list, random);
    dev.push(...list.slice(0, take[ci]));
    train.push(...list.slice(take[ci]));
  });
  return { train: Int32Array.from(train).sort(), dev: Int32Array.from(dev).sort() };
}
