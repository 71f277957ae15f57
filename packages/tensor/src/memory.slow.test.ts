import { afterAll, expect, it } from 'vitest';
import { GpuBackend } from './gpu/gpuBackend.js';
import { testBackends } from './test-support/backends.js';
import { trainingStep } from './test-support/trainingStep.js';

const { backends } = await testBackends();
afterAll(() => {
  for (const b of backends) b.backend.dispose();
});

it.each(backends)('$label: repeated training steps do not grow memory', ({ backend, label }) => {
  // The gpu here is software GL, so it runs a narrower layer; the op sequence is the same.
  const gpu = backend instanceof GpuBackend ? backend : null;
  const [rows, hidden, steps] = gpu ? [32, 32, 1000] : [128, 512, label === 'cpu/typescript' ? 300 : 5000];
  const run = trainingStep(backend, rows, hidden);
  for (let i = 0; i < 20; i++) run.step(i % 4);
  // biome-ignore lint/suspicious/noExplicitAny: gc is exposed only with --expose-gc
  (globalThis as any).gc?.();
  const before = process.memoryUsage().rss;
  const [kernels, textures] = [gpu?.kernelCount, gpu?.texturesAllocated];
  for (let i = 0; i < steps; i++) run.step(i % 4);
  // biome-ignore lint/suspicious/noExplicitAny: see above
  (globalThis as any).gc?.();
  const growthMB = (process.memoryUsage().rss - before) / 2 ** 20;
  expect(growthMB).toBeLessThan(gpu ? 30 : 40);
  if (gpu) {
    // Nothing compiled or allocated per step on the gpu.
    expect(gpu.kernelCount).toBe(kernels);
    expect(gpu.texturesAllocated).toBe(textures);
  }
  run.dispose();
});
