import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu/cpuBackend.js';
import { matmul } from '../ops/matmul.js';
import { fromArray } from '../tensor.js';
import { expectClose, randomValues, testBackends } from '../test-support/backends.js';
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
      onGpu.step(batch);
      onCpu.step(batch);
      const [lossGpu, lossCpu] = [onGpu.loss(), onCpu.loss()];
      expect(Math.abs(lossGpu - lossCpu)).toBeLessThan(1e-4);
      const [gp, cp] = [onGpu.params(), onCpu.params()];
      for (let i = 0; i < gp.length; i++) expectClose(gp[i], cp[i], 2e-5, 1e-3);
    }
    onGpu.dispose();
    onCpu.dispose();
  });

  it('steps read nothing back until the loss is read, and allocate no texture and compile no kernel after the first', () => {
    const run = trainingStep(gpu!, 16, 32);
    run.step(1);
    run.loss();
    const [textures, kernels, reads] = [gpu!.texturesAllocated, gpu!.kernelCount, gpu!.readbackCount];
    for (let batch = 2; batch <= 6; batch++) run.step(batch);
    expect(gpu!.readbackCount - reads).toBe(0);
    expect(Number.isFinite(run.loss())).toBe(true);
    expect(gpu!.readbackCount - reads).toBe(1);
    expect(gpu!.texturesAllocated).toBe(textures);
    expect(gpu!.kernelCount).toBe(kernels);
    run.dispose();
  });

  it.each([
    // The batch's upload and its split into images and labels 3, forward 4, loss 2 (gradient and
    // sums), backward 6, Adam 5 per parameter (two moments, two decays, the update): no hidden
    // per-op copies…
    [16, 32, 3 + 4 + 2 + 6 + 4 * 5],
    // …and where the first layer's two products run packed (≥ 2²⁰ multiply-adds), three more each.
    [128, 64, 3 + 4 + 2 + 6 + 4 * 5 + 2 * 3],
  ])(
    'counts a step of %i rows, hidden %i: one upload (images and labels), no read-back, %i launches every step; reading the loss is one read-back',
    (rows, hidden, launches) => {
      const run = trainingStep(gpu!, rows, hidden);
      run.step(1);
      run.loss();
      const perStep = [];
      for (let batch = 2; batch <= 4; batch++) {
        const before = gpu!.counters();
        run.step(batch);
        const after = gpu!.counters();
        perStep.push({
          launches: after.launches - before.launches,
          uploads: after.uploads - before.uploads,
          uploadBytes: after.uploadBytes - before.uploadBytes,
          readbacks: after.readbacks - before.readbacks,
          readbackBytes: after.readbackBytes - before.readbackBytes,
          texturesAllocated: after.texturesAllocated - before.texturesAllocated,
        });
      }
      for (const c of perStep) {
        expect(c.readbacks).toBe(0);
        expect(c.uploads).toBe(1);
        expect(c.uploadBytes).toBe(rows * 785 * 4); // each image as floats, then its label
        expect(c.texturesAllocated).toBe(0);
        expect(c.launches).toBe(launches);
      }
      const before = gpu!.counters();
      run.loss();
      const after = gpu!.counters();
      expect(after.readbacks - before.readbacks).toBe(1);
      expect(after.readbackBytes - before.readbackBytes).toBe(rows * 2 * 4); // per row: loss, hit
      expect(after.uploads - before.uploads).toBe(0);
      run.dispose();
    },
  );

  it('packed products of many shapes (a growing layer) keep a bounded scratch, and stay right', () => {
    const held = gpu!.textureCount;
    for (let width = 64; width <= 64 + 4 * 12; width += 4) {
      const a = fromArray(gpu!, randomValues(64 * 300, width), [64, 300]);
      const b = fromArray(gpu!, randomValues(300 * width, width + 1), [300, width]);
      const out = matmul(a, b);
      const [ca, cb] = [fromArray(cpu, a.toArray(), [64, 300]), fromArray(cpu, b.toArray(), [300, width])];
      const expected = matmul(ca, cb);
      expectClose(out.toArray(), expected.toArray(), 1e-3, 1e-3);
      for (const t of [a, b, out, ca, cb, expected]) t.dispose();
    }
    expect(gpu!.packedScratchCount).toBeLessThanOrEqual(16);
    // What is left is the scratch (at most two textures each), nothing of the disposed tensors.
    expect(gpu!.textureCount - held).toBeLessThanOrEqual(2 * 16);
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
