import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import { initTensor } from './init.js';
import { LossSums } from './lossSums.js';
import { addBias, relu, reluBackward, softmax } from './ops/activation.js';
import { adamUpdate } from './ops/adamUpdate.js';
import { add, axpy, fill, scale, sub, sumSquares } from './ops/elementwise.js';
import { matmul, sparseMatmul, sparseTransposeMatmul } from './ops/matmul.js';
import { argmaxRows, columnSums } from './ops/reduce.js';
import { softmaxCrossEntropy, softmaxCrossEntropySums } from './ops/softmaxCrossEntropy.js';
import { Random } from './random.js';
import { SparseRows } from './sparseRows.js';
import { fromArray, Tensor } from './tensor.js';
import { expectClose, randomValues, testBackends } from './test-support/backends.js';

// One suite, every backend, each op against a naive loop. float32 tolerance: atol 1e-4 + rtol 1e-4
// for elementwise ops; for products atol 2e-4·√k (rounding grows with the inner dimension).
const { backends, gpuSkipped } = await testBackends();
afterAll(() => {
  for (const b of backends) b.backend.dispose();
});

function naiveMatmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  tA: boolean,
  tB: boolean,
) {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++)
        s += (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = s;
    }
  return out;
}

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [127, 129, 33],
  [128, 784, 10],
  [513, 20, 127],
  // Big enough (≥ 2²⁰ multiply-adds) for the gpu's packed products, k and n not multiples of 4.
  [127, 513, 33],
  [65, 127, 130],
  [9, 11, 4],
  [6, 3, 14],
  [3, 5, 3],
];

it('reports which backends run', () => {
  expect(backends.map((b) => b.label)).toContain('cpu/wasm-simd');
  expect(backends.map((b) => b.label)).toContain('cpu/wasm-fma');
  if (gpuSkipped) console.warn(`gpu skipped: ${gpuSkipped}`);
});

/**
 * Every op of the Backend contract. The compiler checks the list is complete (an op added to
 * Backend without a place here does not compile); the suite checks each one ran on each backend.
 */
const BACKEND_OPS = [
  'alloc',
  'free',
  'write',
  'read',
  'matmul',
  'sparseMatmul',
  'sparseTransposeMatmul',
  'addBias',
  'relu',
  'reluBackward',
  'linear',
  'fill',
  'softmax',
  'softmaxCrossEntropy',
  'softmaxCrossEntropySums',
  'readLossSums',
  'freeLossSums',
  'columnSums',
  'argmaxRows',
  'sumSquares',
  'adam',
  'setSparseRows',
  'freeSparseRows',
] as const satisfies readonly (keyof Backend)[];
// `view` is optional (host-memory backends only) and computes nothing: Tensor.peek's test covers it.
type Unlisted = Exclude<
  keyof Backend,
  (typeof BACKEND_OPS)[number] | 'name' | 'description' | 'dispose' | 'view'
>;
// A compile-time check (`pnpm typecheck` covers the tests): names the unlisted ops in its error.
const everyOpListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyOpListed;

/** Counts the calls of each op on `backend` (wrapping its methods in place). */
function countCalls(backend: Backend): Record<(typeof BACKEND_OPS)[number], number> {
  const calls = Object.fromEntries(BACKEND_OPS.map((op) => [op, 0])) as Record<
    (typeof BACKEND_OPS)[number],
    number
  >;
  const methods = backend as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const op of BACKEND_OPS) {
    const original = methods[op].bind(backend);
    methods[op] = (...args: unknown[]) => {
      calls[op]++;
      return original(...args);
    };
  }
  return calls;
}

describe.each(backends)('$label backend', ({ backend, label }) => {
  const isGpu = label === 'gpu';
  const calls = countCalls(backend);
  afterAll(() => {
    const unexercised = BACKEND_OPS.filter((op) => calls[op] === 0);
    expect(unexercised, `ops this suite never ran on ${label}`).toEqual([]);
  });
  it.each(shapes)('matmul %i×%i·%i×n in all four transpose modes, and accumulate', (m, k, n) => {
    const av = randomValues(m * k, m + k);
    const bv = randomValues(k * n, k + n + 1);
    const tol = 2e-4 * Math.sqrt(k) * (isGpu ? 10 : 1);
    for (const [tA, tB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const a = fromArray(backend, av, tA ? [k, m] : [m, k]);
      const b = fromArray(backend, bv, tB ? [n, k] : [k, n]);
      const out = matmul(a, b, { transA: tA, transB: tB });
      expectClose(out.toArray(), naiveMatmul(av, bv, m, k, n, tA, tB), tol, 1e-4);
      matmul(a, b, { transA: tA, transB: tB, out, accumulate: true });
      expectClose(
        out.toArray(),
        naiveMatmul(av, bv, m, k, n, tA, tB).map((v) => 2 * v),
        2 * tol,
        1e-4,
      );
      for (const t of [a, b, out]) t.dispose();
    }
  });

  it.each([
    [1, 1, 1],
    [7, 13, 5],
    [128, 784, 512],
    [33, 784, 10],
    [127, 129, 33],
    [513, 7, 127],
  ])('sparse rows %i×%i times dense (x·w and xᵀ·d) match dense products', (n, k, m) => {
    const rng = new Random(n * k);
    const bytes = new Uint8Array(n * k).map(() => (rng.next() < 0.8 ? 0 : rng.int(256)));
    const dense = Float32Array.from(bytes, (v) => v / 255);
    const wv = randomValues(k * m, 3);
    const dv = randomValues(n * m, 4);
    const x = new SparseRows(backend).set(bytes, n, k);
    const w = fromArray(backend, wv, [k, m]);
    const d = fromArray(backend, dv, [n, m]);
    const tol = 2e-4 * Math.sqrt(k) * (isGpu ? 10 : 1);
    expectClose(sparseMatmul(x, w).toArray(), naiveMatmul(dense, wv, n, k, m, false, false), tol);
    const g = sparseTransposeMatmul(x, d);
    expectClose(g.toArray(), naiveMatmul(dense, dv, k, n, m, true, false), tol);
    sparseTransposeMatmul(x, d, g, true);
    expectClose(
      g.toArray(),
      naiveMatmul(dense, dv, k, n, m, true, false).map((v) => 2 * v),
      2 * tol,
    );
    x.dispose();
  });

  it('a new tensor holds zeros, also where a freed tensor was', () => {
    for (let round = 0; round < 3; round++) {
      const old = fromArray(backend, [1, -2, 3, 4, 5, 6, 7, 8, 9], [3, 3]);
      old.dispose();
      expect(Array.from(new Tensor(backend, [3, 3]).toArray())).toEqual(new Array(9).fill(0));
    }
  });

  it('one SparseRows reused for batches of other sizes and densities (buffers regrow) stays exact', () => {
    const x = new SparseRows(backend);
    const batches: [number, number, number][] = [
      [7, 13, 0.9],
      [33, 784, 0.5],
      [128, 784, 0.02],
      [2, 784, 0.8],
      [128, 784, 0.8],
    ];
    for (const [n, k, zeros] of batches) {
      const rng = new Random(n + k);
      const bytes = new Uint8Array(n * k).map(() => (rng.next() < zeros ? 0 : 1 + rng.int(255)));
      const dense = Float32Array.from(bytes, (v) => v / 255);
      const m = 9;
      const wv = randomValues(k * m, 5);
      const dv = randomValues(n * m, 6);
      x.set(bytes, n, k);
      expect(x.nonZeros).toBe(bytes.filter((v) => v !== 0).length);
      const tol = 2e-4 * Math.sqrt(k) * (isGpu ? 10 : 1);
      const w = fromArray(backend, wv, [k, m]);
      const d = fromArray(backend, dv, [n, m]);
      expectClose(sparseMatmul(x, w).toArray(), naiveMatmul(dense, wv, n, k, m, false, false), tol);
      expectClose(sparseTransposeMatmul(x, d).toArray(), naiveMatmul(dense, dv, k, n, m, true, false), tol);
      w.dispose();
      d.dispose();
    }
    x.dispose();
  });

  it.each([
    [1, 1],
    [7, 13],
    [127, 129],
    [513, 10],
  ])('elementwise, bias, relu, softmax and reductions on %i×%i', (r, c) => {
    const xv = randomValues(r * c, r);
    const yv = randomValues(r * c, c + 7);
    const bv = randomValues(c, 9);
    const x = fromArray(backend, xv, [r, c]);
    const y = fromArray(backend, yv, [r, c]);
    const bias = fromArray(backend, bv, [c]);
    expectClose(
      add(x, y).toArray(),
      xv.map((v, i) => v + yv[i]),
    );
    expectClose(
      sub(x, y).toArray(),
      xv.map((v, i) => v - yv[i]),
    );
    expectClose(
      scale(x, -2.5).toArray(),
      xv.map((v) => -2.5 * v),
    );
    const z = fromArray(backend, yv, [r, c]);
    axpy(0.5, x, z);
    expectClose(
      z.toArray(),
      yv.map((v, i) => v + 0.5 * xv[i]),
    );
    expectClose(fill(z, -1.25).toArray(), new Float32Array(r * c).fill(-1.25));
    const biased = xv.map((v, i) => v + bv[i % c]);
    expectClose(addBias(x, bias).toArray(), biased);
    expectClose(
      addBias(x, bias, { relu: true }).toArray(),
      biased.map((v) => Math.max(0, v)),
    );
    expectClose(
      relu(x).toArray(),
      xv.map((v) => Math.max(0, v)),
    );
    expectClose(
      reluBackward(y, x).toArray(),
      yv.map((v, i) => (xv[i] > 0 ? v : 0)),
    );
    const soft = new Float32Array(r * c);
    for (let i = 0; i < r; i++) {
      const row = xv.subarray(i * c, (i + 1) * c);
      const max = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
      row.forEach((v, j) => {
        soft[i * c + j] = Math.exp(v - max) / sum;
      });
    }
    expectClose(softmax(x).toArray(), soft, 1e-5);
    const colRef = new Float32Array(c);
    xv.forEach((v, i) => {
      colRef[i % c] += v;
    });
    expectClose(columnSums(x).toArray(), colRef, 1e-3);
    const argRef = Array.from({ length: r }, (_, i) => {
      const row = Array.from(xv.subarray(i * c, (i + 1) * c));
      return row.indexOf(Math.max(...row));
    });
    expect(Array.from(argmaxRows(x))).toEqual(argRef);
    expect(sumSquares(x)).toBeCloseTo(
      xv.reduce((s, v) => s + v * v, 0),
      2,
    );
  });

  it('softmax cross-entropy: loss and gradient against a float64 reference, stable for large logits', () => {
    for (const [r, c, magnitude] of [
      [1, 1, 1],
      [7, 10, 1],
      [127, 10, 50],
      [513, 13, 1],
    ]) {
      const xv = randomValues(r * c, r + c).map((v) => v * magnitude);
      const labels = Array.from({ length: r }, (_, i) => (i * 7) % c);
      const x = fromArray(backend, xv, [r, c]);
      const grad = fromArray(backend, new Float32Array(r * c), [r, c]);
      const loss = softmaxCrossEntropy(x, labels, { grad });
      let refLoss = 0;
      const refGrad = new Float32Array(r * c);
      for (let i = 0; i < r; i++) {
        const row = Array.from(xv.subarray(i * c, (i + 1) * c));
        const max = Math.max(...row);
        const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
        refLoss += Math.log(sum) - (row[labels[i]] - max);
        row.forEach((v, j) => {
          refGrad[i * c + j] = (Math.exp(v - max) / sum - (j === labels[i] ? 1 : 0)) / r;
        });
      }
      expect(Number.isFinite(loss)).toBe(true);
      expect(Math.abs(loss - refLoss / r)).toBeLessThan(1e-4 * (1 + refLoss / r) * (isGpu ? 10 : 1));
      expectClose(grad.toArray(), refGrad, 1e-5);
    }
  });

  it('loss sums: smoothed gradient, summed cross-entropy and hits over batches of several sizes, labels from the batch', () => {
    const sums = new LossSums(backend);
    const x = new SparseRows(backend);
    let [refLoss, refCorrect, refRows] = [0, 0, 0];
    // A bigger batch after smaller ones regrows the sums (what they held is kept).
    for (const [r, c, smoothing, fromBatch] of [
      [1, 1, 0, false],
      [7, 10, 0.1, true],
      [127, 10, 0, true],
      [513, 13, 0.3, false],
      [5, 13, 0, true],
    ] as const) {
      const xv = randomValues(r * c, 3 * r + c).map((v) => v * 4);
      // Every third row's label is its largest logit (a hit), the others' a fixed column.
      const labels = Array.from({ length: r }, (_, i) => {
        if (i % 3) return (i * 7) % c;
        const row = Array.from(xv.subarray(i * c, (i + 1) * c));
        return row.indexOf(Math.max(...row));
      });
      const logits = fromArray(backend, xv, [r, c]);
      const grad = fromArray(backend, new Float32Array(r * c), [r, c]);
      if (fromBatch) x.set(new Uint8Array(r * 3).fill(1), r, 3, 1, labels);
      softmaxCrossEntropySums(logits, fromBatch ? x : labels, sums, {
        grad,
        gradScale: 0.5,
        labelSmoothing: smoothing,
      });
      const refGrad = new Float32Array(r * c);
      for (let i = 0; i < r; i++) {
        const row = Array.from(xv.subarray(i * c, (i + 1) * c));
        const max = Math.max(...row);
        const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
        refLoss += Math.log(sum) - (row[labels[i]] - max);
        if (row.indexOf(max) === labels[i]) refCorrect++;
        row.forEach((v, j) => {
          const target = (1 - smoothing) * (j === labels[i] ? 1 : 0) + smoothing / c;
          refGrad[i * c + j] = ((Math.exp(v - max) / sum - target) * 0.5) / r;
        });
      }
      refRows += r;
      expectClose(grad.toArray(), refGrad, 1e-5);
      logits.dispose();
      grad.dispose();
    }
    const totals = sums.read();
    expect(totals.rows).toBe(refRows);
    expect(totals.correct).toBe(refCorrect);
    expect(Math.abs(totals.loss - refLoss)).toBeLessThan(1e-4 * refLoss * (isGpu ? 10 : 1));
    // Read means zeroed: the next read has only what came after.
    expect(sums.read()).toEqual({ loss: 0, correct: 0, rows: 0 });
    const logits = fromArray(backend, Float32Array.from([0, 1, 2, 2, 1, 0]), [2, 3]);
    softmaxCrossEntropySums(logits, [2, 1], sums);
    const again = sums.read();
    expect([again.rows, again.correct]).toEqual([2, 1]);
    expect(
      Math.abs(again.loss - (2 * Math.log(Math.exp(0) + Math.exp(1) + Math.exp(2)) - 2 - 1)),
    ).toBeLessThan(1e-4);
    logits.dispose();
    sums.dispose();
    x.dispose();
  });

  it('loss sums refuse labels outside the classes and a batch without labels', () => {
    const logits = fromArray(backend, new Float32Array(6), [2, 3]);
    const sums = new LossSums(backend);
    expect(() => softmaxCrossEntropySums(logits, [0, 3], sums)).toThrow(/label 3 at row 1 is outside 0..2/);
    const x = new SparseRows(backend).set(new Uint8Array(4), 2, 2);
    expect(() => softmaxCrossEntropySums(logits, x, sums)).toThrow(/SparseRows has no labels/);
    expect(() => new SparseRows(backend).set(new Uint8Array(4), 2, 2, 1, [1])).toThrow(
      /need 2 labels, got 1/,
    );
    for (const t of [logits, sums, x]) t.dispose();
  });

  // x86 CPUs are 10–60× slower on subnormal floats and WebAssembly cannot flush them, so the ops
  // whose outputs shrink geometrically must never produce one.
  const subnormals = (values: Float32Array) =>
    values.filter((v) => v !== 0 && Math.abs(v) < 1.1754944e-38).length;

  it('softmax and its cross-entropy gradient write 0, not a subnormal, for probabilities < 1e-20', () => {
    // Margins of 60–120: e^-60 ≈ 1e-26 is below the cut, and e^-90 would be subnormal in float32.
    const xv = Float32Array.from({ length: 4 * 10 }, (_, i) =>
      i % 10 === 3 ? 100 : 100 - 60 - (i % 7) * 10,
    );
    const x = fromArray(backend, xv, [4, 10]);
    const grad = fromArray(backend, new Float32Array(40), [4, 10]);
    const loss = softmaxCrossEntropy(x, [3, 3, 3, 3], { grad });
    expect(loss).toBeLessThan(1e-6);
    const g = grad.toArray();
    expect(subnormals(g)).toBe(0);
    expect(g.filter((v) => v === 0).length).toBe(40);
    const p = softmax(x).toArray();
    expect(subnormals(p)).toBe(0);
    expectClose(
      p,
      Float32Array.from(xv, (v) => (v === 100 ? 1 : 0)),
      1e-6,
    );
  });

  it('Adam keeps its state out of the subnormal range (flushes to 0) and still updates normally', () => {
    const n = 127;
    const p = fromArray(backend, randomValues(n, 3), [n]);
    const start = p.toArray();
    // β1^t after ~820 steps, tiny moments, and gradients from normal down to 1e-20.
    const m = fromArray(backend, new Float32Array(n).fill(2e-30), [n]);
    const v = fromArray(backend, new Float32Array(n).fill(2e-30), [n]);
    const c1 = fromArray(backend, new Float32Array(n).fill(3e-30), [n]);
    const c2 = fromArray(backend, new Float32Array(n).fill(1), [n]);
    const g = fromArray(
      backend,
      Float32Array.from({ length: n }, (_, i) => (i % 2 ? 1e-20 : 1e-3)),
      [n],
    );
    const step = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
    for (let t = 0; t < 40; t++) adamUpdate(p, g, m, v, c1, c2, step);
    for (const state of [m, v, c1, c2]) expect(subnormals(state.toArray())).toBe(0);
    expect(c1.toArray().every((c) => c === 0)).toBe(true);
    const moved = p.toArray().map((value, i) => Math.abs(value - start[i]));
    // Entries with normal gradients move ~lr per step; those with 1e-20 gradients stay put.
    for (let i = 0; i < n; i++) {
      if (i % 2) expect(moved[i]).toBeLessThan(1e-9);
      else expect(moved[i]).toBeGreaterThan(1e-3);
    }
  });

  it('fused Adam matches the textbook update over several steps, per-entry bias correction', () => {
    const n = 127;
    const pv = randomValues(n, 1);
    const p = fromArray(backend, pv, [n]);
    const m = fromArray(backend, new Float32Array(n), [n]);
    const v = fromArray(backend, new Float32Array(n), [n]);
    const c1 = fromArray(backend, new Float32Array(n).fill(1), [n]);
    const c2 = fromArray(backend, new Float32Array(n).fill(1), [n]);
    const ref = Float64Array.from(pv);
    const rm = new Float64Array(n);
    const rv = new Float64Array(n);
    const step = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
    for (let t = 1; t <= 5; t++) {
      const gv = randomValues(n, 10 + t);
      const g = fromArray(backend, gv, [n]);
      adamUpdate(p, g, m, v, c1, c2, step);
      for (let i = 0; i < n; i++) {
        rm[i] = 0.9 * rm[i] + 0.1 * gv[i];
        rv[i] = 0.999 * rv[i] + 0.001 * gv[i] * gv[i];
        ref[i] -= (1e-2 * (rm[i] / (1 - 0.9 ** t))) / (Math.sqrt(rv[i] / (1 - 0.999 ** t)) + 1e-8);
      }
      g.dispose();
    }
    expectClose(p.toArray(), ref, 2e-5, 1e-4);
  });

  it('initialisers are seeded and have the intended spread', () => {
    const a = initTensor(backend, [784, 64], { kind: 'he' }, new Random(7)).toArray();
    const b = initTensor(backend, [784, 64], { kind: 'he' }, new Random(7)).toArray();
    expect(a).toEqual(b);
    const std = Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(std).toBeGreaterThan(Math.sqrt(2 / 784) * 0.95);
    expect(std).toBeLessThan(Math.sqrt(2 / 784) * 1.05);
    const g = initTensor(backend, [100, 10], { kind: 'glorot' }, new Random(1)).toArray();
    expect(Math.max(...g.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 110));
  });
});
