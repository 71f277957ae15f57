import { availableParallelism } from 'node:os';
import { afterAll, expect, it } from 'vitest';
import { CpuBackend } from './cpu/cpuBackend.js';
import { adamUpdate } from './ops/adamUpdate.js';
import { matmul, sparseMatmul, sparseTransposeMatmul } from './ops/matmul.js';
import { Random } from './random.js';
import { SparseRows } from './sparseRows.js';
import { fromArray } from './tensor.js';
import { randomValues } from './test-support/backends.js';

const threaded = new CpuBackend({ threads: true });
const single = new CpuBackend({ threads: false });
afterAll(() => {
  threaded.dispose();
  single.dispose();
});

it.skipIf(availableParallelism() < 2)('uses a second thread where there are 2+ cores, and says so', () => {
  expect(threaded.description).toBe('cpu (WebAssembly SIMD kernels, 2 threads)');
  expect(single.description).toBe('cpu (WebAssembly SIMD kernels)');
});

it('gives bit-identical results with and without the worker thread', () => {
  const run = (b: CpuBackend) => {
    const rng = new Random(3);
    const bytes = Uint8Array.from({ length: 128 * 784 }, () => (rng.next() < 0.8 ? 0 : rng.int(256)));
    const x = new SparseRows(b).set(bytes, 128, 784);
    const w = fromArray(b, randomValues(784 * 512, 1), [784, 512]);
    const a = fromArray(b, randomValues(131 * 784, 2), [131, 784]);
    const dense = matmul(a, w).toArray();
    const denseT = matmul(a, fromArray(b, randomValues(131 * 96, 4), [131, 96]), { transA: true }).toArray();
    const h = sparseMatmul(x, w);
    const g = sparseTransposeMatmul(x, h);
    const p = fromArray(b, randomValues(784 * 512, 5), [784, 512]);
    const zero = () => fromArray(b, new Float32Array(784 * 512), [784, 512]);
    const one = () => fromArray(b, new Float32Array(784 * 512).fill(1), [784, 512]);
    adamUpdate(p, g, zero(), zero(), one(), one(), {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.01,
    });
    return [dense, denseT, h.toArray(), g.toArray(), p.toArray()];
  };
  const [t, s] = [run(threaded), run(single)];
  for (let i = 0; i < t.length; i++) expect(t[i]).toEqual(s[i]);
});
