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

const threaded = new CpuBackend({ threads: 2, fma: false });
const single = new CpuBackend({ threads: 1, fma: false });
// The fused multiply-add build, on Node 20 through its V8 flag.
const fmaReady = enableRelaxedSimd();
const fmaByThreads = [1, 2, 3, 4].map((threads) => new CpuBackend({ threads, fma: true }));
const simdByThreads = [
  single,
  threaded,
  new CpuBackend({ threads: 3, fma: false }),
  new CpuBackend({ threads: 4, fma: false }),
];
afterAll(() => {
  for (const b of [...simdByThreads, ...fmaByThreads]) b.dispose();
});

it('runs the thread count asked for, on any number of cores, and says so', () => {
  expect(fmaReady).toBe(true);
  expect(threaded.description).toBe('cpu (WebAssembly SIMD kernels, 2 threads)');
  expect(single.description).toBe('cpu (WebAssembly SIMD kernels, 1 thread)');
  expect(simdByThreads[3].description).toBe('cpu (WebAssembly SIMD kernels, 4 threads)');
  // FMA where the CPU has it (fma.test.ts checks which); SIMD128 again where it has not.
  if (fmaByThreads[1].kernels.fma)
    expect(fmaByThreads[1].description).toBe('cpu (WebAssembly relaxed SIMD kernels, FMA, 2 threads)');
  const auto = new CpuBackend({ threads: 'auto' });
  expect(auto.kernels.threads).toBe(availableParallelism());
  auto.dispose();
  const many = new CpuBackend({ threads: 4 * availableParallelism() + 1 });
  expect(many.kernels.threads).toBe(4 * availableParallelism());
  expect(many.description).toMatch(/threads asked for, \d+ used \(4 per core/);
  many.dispose();
});

it.each([
  ['SIMD128', simdByThreads],
  ['FMA', fmaByThreads],
])('gives bit-identical results on 1, 2, 3 and 4 threads (%s kernels)', (_, backends) => {
  const run = (b: CpuBackend) => {
    const rng = new Random(3);
    const bytes = Uint8Array.from({ length: 131 * 784 }, () => (rng.next() < 0.8 ? 0 : rng.int(256)));
    const x = new SparseRows(b).set(bytes, 131, 784);
    const w = fromArray(b, randomValues(784 * 513, 1), [784, 513]);
    const a = fromArray(b, randomValues(131 * 784, 2), [131, 784]);
    const dense = matmul(a, w).toArray();
    const denseT = matmul(a, fromArray(b, randomValues(131 * 127, 4), [131, 127]), {
      transA: true,
    }).toArray();
    const h = sparseMatmul(x, w);
    const g = sparseTransposeMatmul(x, h);
    const p = fromArray(b, randomValues(784 * 513, 5), [784, 513]);
    const zero = () => fromArray(b, new Float32Array(784 * 513), [784, 513]);
    const one = () => fromArray(b, new Float32Array(784 * 513).fill(1), [784, 513]);
    adamUpdate(p, g, zero(), zero(), one(), one(), {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.01,
    });
    return [dense, denseT, h.toArray(), g.toArray(), p.toArray()];
  };
  const before = backends.map((b) => b.threadHandOffs);
  const [reference, ...others] = backends.map(run);
  for (const other of others) for (let i = 0; i < other.length; i++) expect(other[i]).toEqual(reference[i]);
  // Every kernel above was big enough to be cut: the workers really ran pieces.
  backends.forEach((b, i) => {
    expect(b.threadHandOffs - before[i]).toBe(i === 0 ? 0 : 5 * i);
  });
});

it('a worker that never takes its call: the caller runs the piece, threads go off with a message, results stay exact', () => {
  const told: string[] = [];
  const b = new CpuBackend({ threads: 3, fma: false, onThreadsOff: (reason) => told.push(reason) });
  // A short claim deadline so the test does not wait 30 s.
  // biome-ignore lint/suspicious/noExplicitAny: reaching the test-only deadline
  (b.kernelThreads as any).stallMs = 300;
  const a = fromArray(b, randomValues(131 * 784, 2), [131, 784]);
  const w = fromArray(b, randomValues(784 * 513, 1), [784, 513]);
  b.kernelThreads?.hold(1, true);
  const stalled = matmul(a, w).toArray();
  b.kernelThreads?.hold(1, false);
  expect(told).toEqual([
    'kernel thread 2 did not start a call within 0.3 s; the kernels run on one thread from now on',
  ]);
  expect(b.description).toBe(
    'cpu (WebAssembly SIMD kernels, 1 thread: kernel thread 2 did not start a call within 0.3 s)',
  );
  const ra = fromArray(single, randomValues(131 * 784, 2), [131, 784]);
  const rw = fromArray(single, randomValues(784 * 513, 1), [784, 513]);
  expect(stalled).toEqual(matmul(ra, rw).toArray());
  // Later calls run on the caller alone, and still agree.
  const handOffs = b.threadHandOffs;
  expect(matmul(a, w).toArray()).toEqual(stalled);
  expect(b.threadHandOffs).toBe(handOffs);
  b.dispose();
});

it('a worker that dies: threads go off with a message, the next calls run on the caller with the same results', async () => {
  const told: string[] = [];
  const b = new CpuBackend({ threads: 4, fma: false, onThreadsOff: (reason) => told.push(reason) });
  const a = fromArray(b, randomValues(131 * 784, 2), [131, 784]);
  const w = fromArray(b, randomValues(784 * 513, 1), [784, 513]);
  const before = matmul(a, w).toArray();
  await b.kernelThreads?.terminateWorker(0);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(told).toEqual(['kernel thread 1 exited; the kernels run on one thread from now on']);
  expect(b.activeThreads).toBe(1);
  expect(matmul(a, w).toArray()).toEqual(before);
  b.dispose();
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

it('a process stopped and continued (Ctrl-Z, fg) keeps its threads: the wait for a worker counts its own sleeps, not the clock', async () => {
  // A child does 3,000 split products with a 0.2 s claim deadline while it is stopped for 0.5 s
  // ten times; a deadline read off the clock would blame a worker that had no chance to run.
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const dist = new URL('../dist/index.js', import.meta.url);
  const script = `
    const { createCpuBackend, matmul, fromArray } = await import(${JSON.stringify(fileURLToPath(dist))});
    const told = [];
    const b = createCpuBackend({ threads: 2, fma: false, onThreadsOff: (r) => told.push(r) });
    b.kernelThreads.stallMs = 200;
    const a = fromArray(b, Float32Array.from({ length: 128 * 256 }, (_, i) => (i % 7) - 3), [128, 256]);
    const w = fromArray(b, Float32Array.from({ length: 256 * 512 }, (_, i) => (i % 5) - 2), [256, 512]);
    process.stdout.write('ready\\n');
    for (let i = 0; i < 3000; i++) matmul(a, w);
    process.stdout.write(JSON.stringify({ told, threads: b.activeThreads, handOffs: b.threadHandOffs }) + '\\n');
    b.dispose();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let i = 0; i < 10 && child.exitCode === null; i++) {
    child.kill('SIGSTOP');
    await sleep(500);
    child.kill('SIGCONT');
    await sleep(30 + 17 * i);
  }
  const code = await new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', resolve),
  );
  expect(code).toBe(0);
  const result = JSON.parse(out.trim().split('\n').at(-1) as string);
  expect(result).toEqual({ told: [], threads: 2, handOffs: 3000 });
});
