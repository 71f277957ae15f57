import { getHeapStatistics } from 'node:v8';
import { afterAll, expect, it } from 'vitest';
import { CpuBackend } from './cpu/cpuBackend.js';
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
  const cpu = backend instanceof CpuBackend ? backend : null;
  const after = (n: number) => {
    for (let i = 0; i < n; i++) {
      run.step(i % 4);
      if (i % 10 === 9) run.loss(); // as a training loop reads it, every few steps
    }
    gc();
    return {
      rss: process.memoryUsage().rss,
      jsHeap: getHeapStatistics().used_heap_size,
      backendHeap: cpu?.heapBytesInUse,
      kernels: gpu?.kernelCount,
      textures: gpu?.texturesAllocated,
    };
  };
  // Warm-up: pools, JIT code and (on software GL) the renderer's threads settle in the first steps.
  const warm = after(gpu ? 100 : 20);
  // A leak grows with every step, in both halves; a one-time allocation shows in the first only.
  const half = after(steps / 2);
  const end = after(steps / 2);
  // Exact counters where they exist: the backend's own memory, kernels and textures do not change.
  expect(end.backendHeap).toBe(warm.backendHeap);
  expect(end.kernels).toBe(warm.kernels);
  expect(end.textures).toBe(warm.textures);
  // JavaScript objects after a full collection: a step that kept one object would add ~40 bytes ×
  // thousands of steps; the heap's own bookkeeping moves by far less than 1 MB.
  expect((end.jsHeap - half.jsHeap) / 2 ** 20).toBeLessThan(1);
  // Native memory has no counter (headless-gl, the renderer): RSS, loosely, on the gpu only.
  if (gpu) expect((end.rss - half.rss) / 2 ** 20).toBeLessThan(15);
  run.dispose();
});
