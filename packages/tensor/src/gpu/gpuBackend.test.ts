import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu/cpuBackend.js';
import { expectClose, testBackends } from '../test-support/backends.js';
import { trainingStep } from '../test-support/trainingStep.js';
import { GpuBackend } from './gpuBackend.js';

const { backends } = await testBackends();
const gpu = backends.find((b) => b.backend instanceof GpuBackend)?.backend as GpuBackend | undefined;
const cpu = new CpuBackend({ kernels: 'wasm-simd' });
afterAll(() => {
  for (const b of backends) b.backend.dispose();
  cpu.dispose();
});

// Values stay in textures between ops, so an op that read a stale or recycled texture would show
// up only over several steps with many kernels on one context: compare whole runs with the cpu.
describe.runIf(gpu)('gpu backend keeps values on the GPU', () => {
  it('trains 8 steps (in-place ReLU, bias and Adam on every parameter) like the cpu, step by step', () => {
    const onGpu = trainingStep(gpu!, 32, 48);
    const onCpu = trainingStep(cpu, 32, 48);
    for (let batch = 1; batch <= 8; batch++) {
      const lossGpu = onGpu.step(batch);
      const lossCpu = onCpu.step(batch);
      expect(Math.abs(lossGpu - lossCpu)).toBeLessThan(1e-4);
      const [gp, cp] = [onGpu.params(), onCpu.params()];
      for (let i = 0; i < gp.length; i++) expectClose(gp[i], cp[i], 2e-5, 1e-3);
    }
    onGpu.dispose();
    onCpu.dispose();
  });

  it('a step reads back only its loss, and allocates no texture and compiles no kernel after the first', () => {
    const run = trainingStep(gpu!, 16, 32);
    run.step(1);
    const [textures, kernels, reads] = [gpu!.texturesAllocated, gpu!.kernelCount, gpu!.readbackCount];
    for (let batch = 2; batch <= 6; batch++) run.step(batch);
    expect(gpu!.texturesAllocated).toBe(textures);
    expect(gpu!.kernelCount).toBe(kernels);
    expect(gpu!.readbackCount - reads).toBe(5);
    run.dispose();
  });

  it('frees every texture of disposed tensors', () => {
    const held = gpu!.textureCount;
    const run = trainingStep(gpu!, 8, 16);
    run.step(1);
    expect(gpu!.textureCount).toBeGreaterThan(held);
    run.dispose();
    expect(gpu!.textureCount).toBe(held);
  });
});
