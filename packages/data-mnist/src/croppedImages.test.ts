import { describe, expect, it } from 'vitest';
import { applyAugmentation } from './augment.js';
import { type AugmentBatch, Batches } from './batches.js';
import { bundledMnistDir } from './bundledMnist.js';
import { croppedImages } from './croppedImages.js';
import { readLabeledImages } from './dataset.js';

const dir = bundledMnistDir();
const train = await readLabeledImages(`${dir}/train-images-idx3-ubyte`, `${dir}/train-labels-idx1-ubyte`, 10);

describe('croppedImages', () => {
  it('expands every one of the 60,000 training digits back to exactly its bytes, in under half the memory', () => {
    const cropped = croppedImages(train);
    const out = new Uint8Array(784);
    let differing = 0;
    for (let k = 0; k < train.count; k++) {
      out.fill(7);
      cropped.expandInto(k, out, 0);
      if (Buffer.compare(out, train.images.subarray(k * 784, (k + 1) * 784)) !== 0) differing++;
    }
    expect(differing).toBe(0);
    expect(cropped.count).toBe(60000);
    expect(cropped.byteLength).toBeLessThan(train.images.byteLength / 2);
    expect(cropped.box(0)).toEqual({ top: 5, bottom: 24, left: 4, right: 23 });
  });

  it('keeps blank images, ink on every border and a single pixel, in odd sizes', () => {
    const [rows, cols] = [7, 13];
    const images = new Uint8Array(4 * rows * cols);
    images.fill(200, rows * cols, 2 * rows * cols); // full
    images[2 * rows * cols + 3 * cols + 5] = 9; // one pixel
    images[3 * rows * cols] = 1; // the top-left and bottom-right corners
    images[4 * rows * cols - 1] = 2;
    const cropped = croppedImages({ images, labels: new Uint8Array(4), count: 4, rows, cols });
    const out = new Uint8Array(4 * rows * cols).fill(5);
    for (let k = 0; k < 4; k++) cropped.expandInto(k, out, k * rows * cols);
    expect(Buffer.compare(out, images)).toBe(0);
    expect(cropped.box(0).top).toBeGreaterThan(cropped.box(0).bottom);
  });

  it.each([
    ['plain', false],
    ['augmented', {}],
    ['elastic', { elastic: 1.5 }],
  ] as const)('Batches over a cropped set give the bytes they give over the plain set (%s)', (_, augment) => {
    const index = Int32Array.from({ length: 700 }, (_, i) => (i * 83) % 60000);
    const epochOf = (
      set: Parameters<typeof croppedImages>[0] | ReturnType<typeof croppedImages>,
      warp: boolean,
    ) => {
      // `augmentWith` warping here with data-mnist's own code: the gathered-sources path.
      const augmentWith = warp
        ? (b: AugmentBatch) => {
            for (let i = 0; i < b.count; i++) {
              const box = {
                top: b.boxes[4 * i],
                bottom: b.boxes[4 * i + 1],
                left: b.boxes[4 * i + 2],
                right: b.boxes[4 * i + 3],
              };
              const px = b.rows * b.cols;
              applyAugmentation(b.src, b.out, b.rows, b.cols, b.params, i * b.stride, i * px, i * px, box);
            }
          }
        : undefined;
      const out: Buffer[] = [];
      for (const batch of new Batches(set, index, { batchSize: 64, seed: 3, augment, augmentWith }).epoch(1))
        out.push(Buffer.from(batch.images), Buffer.from(batch.labels));
      return Buffer.concat(out);
    };
    const reference = epochOf(train, false);
    const cropped = croppedImages(train);
    expect(epochOf(cropped, false).equals(reference)).toBe(true);
    expect(epochOf(cropped, true).equals(reference)).toBe(true);
    expect(epochOf(train, true).equals(reference)).toBe(true);
  });
});
