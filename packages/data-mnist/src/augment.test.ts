import { describe, expect, it } from 'vitest';
import { augmentImage } from './augment.js';
import { loadBundledMnist } from './bundledMnist.js';
import { seededRandom } from './seededRandom.js';

/** The transform written plainly (every pixel sampled, no shortcuts): the reference. */
function naiveAugment(src: Uint8Array, rows: number, cols: number, random: () => number, elastic: number) {
  const out = new Uint8Array(rows * cols);
  const theta = (random() * 2 - 1) * ((10 * Math.PI) / 180);
  const s = 1 + (random() * 2 - 1) * 0.1;
  const tx = (random() * 2 - 1) * 2;
  const ty = (random() * 2 - 1) * 2;
  const field = elastic > 0 ? Float32Array.from({ length: 50 }, () => (random() * 2 - 1) * elastic) : null;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= cols || y >= rows ? 0 : src[y * cols + x]);
  const fieldAt = (gx: number, gy: number, c: number) => {
    const x0 = Math.min(3, Math.floor(gx));
    const y0 = Math.min(3, Math.floor(gy));
    const [fx, fy] = [gx - x0, gy - y0];
    const f = (x: number, y: number) => field![(y * 5 + x) * 2 + c];
    return (
      f(x0, y0) * (1 - fx) * (1 - fy) +
      f(x0 + 1, y0) * fx * (1 - fy) +
      f(x0, y0 + 1) * (1 - fx) * fy +
      f(x0 + 1, y0 + 1) * fx * fy
    );
  };
  const [cx, cy] = [(cols - 1) / 2, (rows - 1) / 2];
  for (let y = 0; y < rows; y++)
    for (let x = 0; x < cols; x++) {
      let dx = x - cx - tx;
      let dy = y - cy - ty;
      if (field) {
        dx += fieldAt((x / (cols - 1)) * 4, (y / (rows - 1)) * 4, 0);
        dy += fieldAt((x / (cols - 1)) * 4, (y / (rows - 1)) * 4, 1);
      }
      const sx = (Math.cos(theta) / s) * dx + (Math.sin(theta) / s) * dy + cx;
      const sy = (-Math.sin(theta) / s) * dx + (Math.cos(theta) / s) * dy + cy;
      const [x0, y0] = [Math.floor(sx), Math.floor(sy)];
      const [fx, fy] = [sx - x0, sy - y0];
      out[y * cols + x] = Math.round(
        at(x0, y0) * (1 - fx) * (1 - fy) +
          at(x0 + 1, y0) * fx * (1 - fy) +
          at(x0, y0 + 1) * (1 - fx) * fy +
          at(x0 + 1, y0 + 1) * fx * fy,
      );
    }
  return out;
}

/** Fixed point (no elastic) may differ from the float reference by rounding: ≤ 2 levels, ≤ 1 on average. */
function expectNear(actual: Uint8Array, reference: Uint8Array, exact: boolean) {
  if (exact) {
    expect(actual).toEqual(reference);
    return;
  }
  let worst = 0;
  let total = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - reference[i]);
    worst = Math.max(worst, diff);
    total += diff;
  }
  expect(worst).toBeLessThanOrEqual(2);
  expect(total / actual.length).toBeLessThanOrEqual(1);
}

describe('augmentImage', () => {
  it('matches the plain per-pixel float transform on 500 real MNIST digits (elastic: exactly)', async () => {
    const mnist = await loadBundledMnist({ verify: false });
    const out = new Uint8Array(784);
    for (let i = 0; i < 500; i++) {
      const digit = mnist.train.images.subarray(i * 784, (i + 1) * 784);
      const elastic = i % 2 ? 2 : 0;
      augmentImage(digit, out, 28, 28, seededRandom(i + 1), { elastic });
      expectNear(out, naiveAugment(digit, 28, 28, seededRandom(i + 1), elastic), elastic > 0);
    }
  });

  it('matches it on awkward images: empty, full, ink on the borders, a single pixel, 7×13, 1×1', () => {
    const images: [Uint8Array, number, number][] = [
      [new Uint8Array(784), 28, 28],
      [new Uint8Array(784).fill(200), 28, 28],
      [Uint8Array.from({ length: 784 }, (_, i) => (i < 28 || i % 28 === 27 ? 255 : 0)), 28, 28],
      [Uint8Array.from({ length: 784 }, (_, i) => (i === 0 ? 255 : 0)), 28, 28],
      [Uint8Array.from({ length: 91 }, (_, i) => (i * 37) % 256), 7, 13],
      [Uint8Array.of(255), 1, 1],
    ];
    for (const [src, rows, cols] of images) {
      for (let seed = 1; seed <= 20; seed++) {
        for (const elastic of [0, 1.5]) {
          const out = new Uint8Array(rows * cols);
          augmentImage(src, out, rows, cols, seededRandom(seed), { elastic });
          const reference = naiveAugment(src, rows, cols, seededRandom(seed), elastic);
          expectNear(out, reference, elastic > 0);
        }
      }
    }
  });
});
