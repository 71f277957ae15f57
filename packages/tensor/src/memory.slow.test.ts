import { afterAll, expect, it } from 'vitest';
import { GpuBackend } from './gpu/gpuBackend.js';
import { testBackends } from './test-support/backends.js';
import { trainingStep } from './test-support/trainingStep.js';

const { backends } = await testBackends();
afterAll(() => {
  for (const b of backends) b.backend.dispose();
});

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('memory tests need --expose-gc (vitest.shared.ts passes it to the workers)');

it.each(backends)('$label: repeated training steps do not grow memory', ({ backend, label }) => {
  // The gpu here is software GL, so it runs a narrower layer; the op sequence is the same.
  const gpu = backend instanceof GpuBackend ? backend : null;
  const [rows, hidden, steps] = gpu ? [32, 32, 1000] : [128, 512, label === 'cpu/typescript' ? 300 : 5000];
  const run = trainingStep(backend, rows, hidden);
  const rssAfter = (n: number) => {
    for (let i = 0; i < n; i++) {
      run.step(i % 4);
      if (i % 10 === 9) run.loss(); // as a training loop reads it, every few steps
    }
    gc();
    return process.memoryUsage().rss;
  };
  // Warm-up: pools, JIT code and (on software GL) the renderer's threads settle in the first steps.
  rssAfter(gpu ? 100 : 20);
  const [kernels, textures] = [gpu?.kernelCount, gpu?.texturesAllocated];
  // A leak grows with every step, in both halves; a one-time allocation shows in the first only.
  const half = rssAfter(steps / 2);
  const growthMB = (rssAfter(steps / 2) - half) / 2 ** 20;
  // Half the earlier limits (30 MB per 1000 gpu steps, 40 MB per 5000 cpu steps): the same per step.
  expect(growthMB).toBeLessThan(gpu ? 15 : 20);
  if (gpu) {
    // Nothing compiled or allocated per step on the gpu.
    expect(gpu.kernelCount).toBe(kernels);
    expect(gpu.texturesAllocated).toBe(textures);
  }
  run.dispose();
});
