import { afterAll, expect, it } from 'vitest';
import { GpuBackend } from './gpu/gpuBackend.js';
import { addBias, reluBackward } from './ops/activation.js';
import { adamUpdate } from './ops/adamUpdate.js';
import { matmul, sparseMatmul, sparseTransposeMatmul } from './ops/matmul.js';
import { columnSums } from './ops/reduce.js';
import { softmaxCrossEntropy } from './ops/softmaxCrossEntropy.js';
import { SparseRows } from './sparseRows.js';
import { fromArray, Tensor } from './tensor.js';
import { randomValues, testBackends } from './test-support/backends.js';

const { backends } = await testBackends();
afterAll(() => {
  for (const b of backends) b.backend.dispose();
});

it.each(backends)(
  '$label: repeated training steps do not grow memory',
  ({ backend, label }) => {
    // The gpu here is software GL, so it runs a narrower layer; the op sequence is the same.
    const gpu = backend instanceof GpuBackend;
    const [n, k, h, steps] = gpu
      ? [32, 784, 32, 1000]
      : [128, 784, 512, label === 'cpu/typescript' ? 300 : 5000];
    const bytes = Uint8Array.from(randomValues(n * k, 1), (v) => (v > 0.6 ? Math.floor((v - 0.6) * 600) : 0));
    const labels = Array.from({ length: n }, (_, i) => i % 10);
    const x = new SparseRows(backend);
    const w1 = fromArray(
      backend,
      randomValues(k * h, 2).map((v) => v * 0.05),
      [k, h],
    );
    const b1 = fromArray(backend, new Float32Array(h), [h]);
    const w2 = fromArray(
      backend,
      randomValues(h * 10, 3).map((v) => v * 0.05),
      [h, 10],
    );
    const z1 = new Tensor(backend, [n, h]);
    const a1 = new Tensor(backend, [n, h]);
    const z2 = new Tensor(backend, [n, 10]);
    const dz2 = new Tensor(backend, [n, 10]);
    const da1 = new Tensor(backend, [n, h]);
    const dw1 = new Tensor(backend, [k, h]);
    const dw2 = new Tensor(backend, [h, 10]);
    const db1 = new Tensor(backend, [h]);
    const state = [0, 0, 1, 1].map((fill) => fromArray(backend, new Float32Array(k * h).fill(fill), [k, h]));
    const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
    const step = () => {
      x.set(bytes, n, k);
      sparseMatmul(x, w1, z1);
      addBias(z1, b1, { out: a1, relu: true });
      matmul(a1, w2, { out: z2 });
      softmaxCrossEntropy(z2, labels, { grad: dz2 });
      matmul(a1, dz2, { transA: true, out: dw2 });
      matmul(dz2, w2, { transB: true, out: da1 });
      reluBackward(da1, a1, da1);
      columnSums(da1, { out: db1 });
      sparseTransposeMatmul(x, da1, dw1);
      adamUpdate(w1, dw1, state[0], state[1], state[2], state[3], hp);
    };
    for (let i = 0; i < 20; i++) step();
    // biome-ignore lint/suspicious/noExplicitAny: gc is exposed only with --expose-gc
    (globalThis as any).gc?.();
    const before = process.memoryUsage().rss;
    const kernelsBefore = gpu ? backend.kernelCount : 0;
    for (let i = 0; i < steps; i++) step();
    // biome-ignore lint/suspicious/noExplicitAny: see above
    (globalThis as any).gc?.();
    const growthMB = (process.memoryUsage().rss - before) / 2 ** 20;
    expect(growthMB).toBeLessThan(gpu ? 60 : 40);
    if (gpu) expect(backend.kernelCount).toBe(kernelsBefore); // nothing compiled per step
  },
  120_000,
);
