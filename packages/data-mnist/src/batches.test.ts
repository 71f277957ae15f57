import { describe, expect, it } from 'vitest';
import { augmentImage } from './augment.js';
import { Batches } from './batches.js';
import type { LabeledImages } from './dataset.js';
import { mixSeed, seededRandom } from './seededRandom.js';

const count = 50;
const set: LabeledImages = {
  images: Uint8Array.from({ length: count * 784 }, (_, i) => Math.floor(i / 784) % 256),
  labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
  count,
  rows: 28,
  cols: 28,
};
const all = Int32Array.from({ length: count }, (_, i) => i);
const order = (b: Batches, epoch: number) => [...b.epoch(epoch)].flatMap((x) => Array.from(x.indices));

describe('Batches', () => {
  it('covers every example once per epoch, keeping or dropping the last partial batch', () => {
    const keep = new Batches(set, all, { batchSize: 16, seed: 1 });
    const sizes = [...keep.epoch(0)].map((b) => b.size);
    expect(sizes).toEqual([16, 16, 16, 2]);
    expect(new Set(order(keep, 0)).size).toBe(count);
    const drop = new Batches(set, all, { batchSize: 16, seed: 1, dropLast: true });
    expect([...drop.epoch(0)].map((b) => b.size)).toEqual([16, 16, 16]);
  });

  it('shuffles deterministically per seed and differently across epochs', () => {
    const a = new Batches(set, all, { batchSize: 8, seed: 3 });
    const b = new Batches(set, all, { batchSize: 8, seed: 3 });
    expect(order(a, 0)).toEqual(order(b, 0));
    expect(order(a, 0)).not.toEqual(order(a, 1));
  });

  it('pairs each image with its label', () => {
    for (const batch of new Batches(set, all, { batchSize: 7, seed: 5 }).epoch(0)) {
      for (let i = 0; i < batch.size; i++) {
        const k = batch.indices[i];
        expect(batch.labels[i]).toBe(k % 10);
        expect(batch.images[i * 784]).toBe(k % 256);
      }
    }
  });

  it('asks a batch-size function before every batch (dynamic sizing)', async () => {
    const sizes = [10, 20, 5];
    let n = 0;
    const b = new Batches(set, all, { batchSize: () => sizes[n++ % 3], seed: 1 });
    const got: number[] = [];
    for await (const batch of b.epoch(0)) got.push(batch.size);
    expect(got).toEqual([10, 20, 5, 10, 5]);
  });

  it('augments each image as augmentImage alone does, epoch after epoch (ink boxes kept)', () => {
    // Digit-like images: a block of ink at a different place in each.
    const inked: LabeledImages = {
      ...set,
      images: Uint8Array.from({ length: count * 784 }, (_, i) => {
        const [k, y, x] = [Math.floor(i / 784), Math.floor((i % 784) / 28), i % 28];
        return Math.abs(y - 4 - (k % 20)) < 4 && Math.abs(x - 8 - ((3 * k) % 13)) < 3 ? 200 : 0;
      }),
    };
    const batches = new Batches(inked, all, { batchSize: 16, seed: 9, augment: {} });
    for (const epoch of [0, 1]) {
      // The stream Batches draws its transforms from, image after image.
      const random = seededRandom(mixSeed(9 ^ 0xa5a5, epoch));
      const alone = new Uint8Array(784);
      for (const batch of batches.epoch(epoch)) {
        for (let i = 0; i < batch.size; i++) {
          const k = batch.indices[i];
          augmentImage(inked.images.subarray(k * 784, (k + 1) * 784), alone, 28, 28, random);
          expect(batch.images.subarray(i * 784, (i + 1) * 784)).toEqual(alone);
        }
      }
    }
  });
});

describe('augmentImage', () => {
  const digit = new Uint8Array(784);
  for (let y = 6; y < 22; y++) for (let x = 12; x < 16; x++) digit[y * 28 + x] = 255;

  it('keeps shape and range, changes pixels, and is deterministic under a seed', () => {
    const a = new Uint8Array(784);
    const b = new Uint8Array(784);
    augmentImage(digit, a, 28, 28, seededRandom(1));
    augmentImage(digit, b, 28, 28, seededRandom(1));
    expect(a).toEqual(b);
    expect(a).not.toEqual(digit);
    // The bar's core stays solid ink, nothing reaches the border (2 px shift, 10° and 10% at
    // most), and the ink's centre moves by no more than the shift allows.
    expect(Math.max(...a)).toBe(255);
    for (let i = 0; i < 28; i++) {
      expect([a[i], a[27 * 28 + i], a[i * 28], a[i * 28 + 27]], `border pixel ${i}`).toEqual([0, 0, 0, 0]);
    }
    const centre = (img: Uint8Array) => {
      let [sum, sx, sy] = [0, 0, 0];
      img.forEach((v, i) => {
        sum += v;
        sx += v * (i % 28);
        sy += v * Math.floor(i / 28);
      });
      return [sx / sum, sy / sum];
    };
    const [[x0, y0], [x1, y1]] = [centre(digit), centre(a)];
    expect(Math.hypot(x1 - x0, y1 - y0)).toBeLessThan(2 * Math.SQRT2 + 0.5);
    expect(a.reduce((s, v) => s + v, 0)).toBeGreaterThan(digit.reduce((s, v) => s + v, 0) * 0.6);
  });

  it('is the identity with all ranges 0', () => {
    const out = new Uint8Array(784);
    augmentImage(digit, out, 28, 28, seededRandom(2), { translate: 0, rotateDegrees: 0, scale: 0 });
    expect(out).toEqual(digit);
  });

  it('elastic distortion changes the image further', () => {
    const plain = new Uint8Array(784);
    const elastic = new Uint8Array(784);
    augmentImage(digit, plain, 28, 28, seededRandom(4));
    augmentImage(digit, elastic, 28, 28, seededRandom(4), { elastic: 2 });
    expect(elastic).not.toEqual(plain);
  });
});
