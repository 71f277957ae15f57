import { describe, expect, it } from 'vitest';
import { affineWarp, inkBox } from './affineWarp.js';
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

describe('affineWarp with the ink box', () => {
  it('skips only pixels that are 0 anyway: the same bytes as warping every pixel', async () => {
    const mnist = await loadBundledMnist({ verify: false });
    const { rows, cols } = mnist.train;
    const px = rows * cols;
    const random = seededRandom(5);
    const [fast, full] = [new Uint8Array(px), new Uint8Array(px)];
    const whole = { top: 0, bottom: rows - 1, left: 0, right: cols - 1 };
    let inked = 0;
    for (let k = 0; k < 2000; k++) {
      // Strong transforms too (±45°, ±30% scale, ±6 px), so rows cross the box at every angle.
      const angle = (random() * 2 - 1) * (k % 2 ? Math.PI / 4 : Math.PI / 18);
      const [s, tx, ty] = [1 + (random() * 2 - 1) * 0.3, (random() * 2 - 1) * 6, (random() * 2 - 1) * 6];
      const [cos, sin] = [Math.cos(angle) / s, Math.sin(angle) / s];
      const m = { a: cos, b: sin, c: 13.5 - cos * (13.5 + tx) - sin * (13.5 + ty), d: -sin, e: cos, f: 0 };
      m.f = 13.5 + sin * (13.5 + tx) - cos * (13.5 + ty);
      const box = inkBox(mnist.train.images, rows, cols, k * px);
      affineWarp(mnist.train.images, fast, rows, cols, m, k * px, 0, box);
      affineWarp(mnist.train.images, full, rows, cols, m, k * px, 0, whole);
      expect(fast).toEqual(full);
      inked += (box.bottom - box.top + 1) * (box.right - box.left + 1);
    }
    // The boxes are real: MNIST's ink covers well under the whole image.
    expect(inked / (2000 * px)).toBeLessThan(0.6);
  });

  it('finds the ink box, and an empty one for a blank image', () => {
    const image = new Uint8Array(7 * 13);
    expect(inkBox(image, 7, 13)).toEqual({ top: 7, bottom: -1, left: 13, right: -1 });
    image[2 * 13 + 3] = 9;
    image[5 * 13 + 11] = 1;
    expect(inkBox(image, 7, 13)).toEqual({ top: 2, bottom: 5, left: 3, right: 11 });
    const out = new Uint8Array(7 * 13).fill(77);
    affineWarp(new Uint8Array(7 * 13), out, 7, 13, { a: 1, b: 0, c: 0, d: 0, e: 1, f: 0 });
    expect(out.every((v) => v === 0)).toBe(true);
  });
});
