import { type AugmentBatch, Batches, loadBundledMnist } from '@sprout/data-mnist';
import { CpuBackend } from '@sprout/tensor';
import { afterAll, expect, it } from 'vitest';

// The cpu backend's warp kernel against data-mnist's augmentation, byte for byte, on real digits:
// the kernel threads may run a batch's warps only because they give the bytes data-mnist gives.
const backends = [1, 2, 3, 4].map((threads) => new CpuBackend({ threads }));
afterAll(() => {
  for (const b of backends) b.dispose();
});
const mnist = await loadBundledMnist({ verify: false });

it.each([
  ['affine (the default augmentation)', {}],
  ['elastic (the accurate preset)', { elastic: 0.92, rotateDegrees: 5 }],
  ['strong: 40° rotations, 6 px shifts, 30% scale', { rotateDegrees: 40, translate: 6, scale: 0.3 }],
])('%s: the same bytes as data-mnist on 1, 2, 3 and 4 threads', (_, augment) => {
  const index = Int32Array.from({ length: 1500 }, (_, i) => i * 37);
  const epochOf = (augmentWith?: (b: AugmentBatch) => void) => {
    const batches = new Batches(mnist.train, index, { batchSize: 128, seed: 5, augment, augmentWith });
    const out: Uint8Array[] = [];
    for (const batch of batches.epoch(2)) out.push(batch.images.slice());
    return out;
  };
  const reference = epochOf();
  for (const backend of backends) {
    expect(backend.canWarpImages).toBe(true);
    const handOffs = backend.threadHandOffs;
    const warped = epochOf((b) => backend.warpImages(b));
    expect(warped.length).toBe(reference.length);
    warped.forEach((images, i) => {
      expect(Buffer.compare(images, reference[i]), `batch ${i}, ${backend.description}`).toBe(0);
    });
    if (backend.kernels.threads > 1) expect(backend.threadHandOffs).toBeGreaterThan(handOffs);
  }
});
