import { availableParallelism } from 'node:os';
import { afterAll, expect, it } from 'vitest';
import { CpuBackend } from './cpu/cpuBackend.js';
import { enableRelaxedSimd } from './cpu/kernels.js';
import { adamUpdate } from './ops/adamUpdate.js';
import { matmul, sparseMatmul, sparseTransposeMatmul } from './ops/matmul.js';
import { Random } from './random.js';
import { SparseRows } from './sparseRows.js';
import { fromArray } from './tensor.js';
import { randomValues } from './test-support/backends.js';

const threaded = new CpuBackend({ threads: true, fma: false });
const single = new CpuBackend({ threads: false, fma: false });
// The fused multiply-add build, on Node 20 through its V8 flag.
const fmaReady = enableRelaxedSimd();
const threadedFma = new CpuBackend({ threads: true, fma: true });
const singleFma = new CpuBackend({ threads: false, fma: true });
afterAll(() => {
  for (const b of [threaded, single, threadedFma, singleFma]) b.dispose();
});

it.skipIf(availableParallelism() < 2)('uses a second thread where there are 2+ cores, and says so', () => {
  expect(threaded.description).toBe('cpu (WebAssembly SIMD kernels, 2 threads)');
  expect(single.description).toBe('cpu (WebAssembly SIMD kernels)');
  expect(fmaReady).toBe(true);
  // FMA where the CPU has it (fma.test.ts checks which); SIMD128 again where it has not.
  if (threadedFma.kernels.fma) {
    expect(threadedFma.description).toBe('cpu (WebAssembly relaxed SIMD kernels, FMA, 2 threads)');
    expect(singleFma.description).toBe('cpu (WebAssembly relaxed SIMD kernels, FMA)');
  }
});

it.each([
  ['SIMD128', threaded, single],
  ['FMA', threadedFma, singleFma],
])('gives bit-identical results with and without the worker thread (%s kernels)', (_, threaded, single) => {
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

it('stays bit-identical over 10,000 hand-offs of mixed kernels and sizes', () => {
  // The same sequence of calls on both backends, each output compared at once: a lost or early
  // wake-up, a stale argument or a half run twice would show as a difference or a hang.
  const rng = new Random(11);
  const calls = Array.from({ length: 10_000 }, (_, i) => ({
    kind: i % 5 === 4 ? 'adam' : 'gemm',
    rows: 32 + rng.int(97), // 32..128 rows: always big enough to split
  }));
  const setup = (b: CpuBackend) => {
    const put = (values: Float32Array) => {
      const off = b.heap.alloc(values.length);
      b.heap.f32.set(values, off);
      return off;
    };
    const n = 140_000;
    return {
      b,
      a: put(randomValues(128 * 256, 21)),
      w: put(randomValues(256 * 128, 22)),
      c: put(new Float32Array(128 * 128)),
      adam: [23, 24, 25].map((s) => put(randomValues(n, s))),
      v: put(randomValues(n, 26).map(Math.abs)),
      powers: [put(new Float32Array(n).fill(1)), put(new Float32Array(n).fill(1))],
      n,
    };
  };
  // 65,536 entries and up: always big enough to split.
  const adamSize = (rows: number) => 65_536 + rows * 512;
  const [t, s] = [setup(threaded), setup(single)];
  const before = threaded.threadHandOffs;
  let differences = 0;
  for (const call of calls) {
    for (const e of [t, s]) {
      if (call.kind === 'gemm') e.b.kernels.gemm(call.rows, 128, 256, e.a, 256, 1, e.w, e.c, false);
      else {
        const [p, g, m] = e.adam;
        e.b.kernels.adam(
          adamSize(call.rows),
          p,
          g,
          m,
          e.v,
          e.powers[0],
          e.powers[1],
          1e-3,
          0.9,
          0.999,
          1e-8,
          0,
        );
      }
    }
    const [out, words] = call.kind === 'gemm' ? [t.c, call.rows * 128] : [t.adam[0], adamSize(call.rows)];
    const [ref] = call.kind === 'gemm' ? [s.c] : [s.adam[0]];
    const x = threaded.heap.f32.subarray(out, out + words);
    const y = single.heap.f32.subarray(ref, ref + words);
    for (let i = 0; i < words; i++) if (!Object.is(x[i], y[i])) differences++;
  }
  expect(differences).toBe(0);
  if (threaded.kernels.threads > 1) expect(threaded.threadHandOffs - before).toBe(10_000);
}, 600_000);
