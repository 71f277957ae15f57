import { afterAll, describe, expect, it } from 'vitest';
import { randomValues } from '../test-support/backends.js';
import { CpuBackend } from './cpuBackend.js';
import type { CpuKernels } from './kernels.js';
import { kernelsWasmBase64 } from './kernels.wasm.generated.js';
import {
  CPU_KERNELS,
  type KernelDeclaration,
  type KernelName,
  splitCall,
  toWasmArgs,
  WASM_KERNEL_NAMES,
  type WasmKernelName,
} from './kernelTable.js';

// Every WebAssembly kernel of the table on every implementation: the TypeScript kernels,
// WebAssembly on one thread and WebAssembly split with the worker, on awkward sizes (1, 7, 127,
// 513). The cases are keyed by the table, so a WebAssembly kernel without a case does not compile.
// (TypeScript-only kernels have one implementation; conformance.test.ts checks them against naive
// references through the backend's ops.)

interface Env {
  kernels: CpuKernels;
  /** Words in the heap holding `values`; returns their offset. */
  put(values: ArrayLike<number>): number;
  /** Zeroed words. */
  space(words: number): number;
  f32(offset: number, words: number): number[];
  i32(offset: number, words: number): number[];
  bytes(values: Uint8Array): number;
  /** Float64 values in the heap (8-byte aligned); returns their word offset. */
  f64(values: ArrayLike<number>): number;
  /** `n` bytes at word offset `off`. */
  u8(off: number, n: number): number[];
  i32Set(off: number, values: number[]): void;
}

function env(backend: CpuBackend): Env {
  const { heap } = backend;
  return {
    kernels: backend.kernels,
    put(values) {
      const off = heap.alloc(values.length);
      heap.f32.set(values, off);
      return off;
    },
    space(words) {
      const off = heap.alloc(words);
      heap.f32.fill(0, off, off + words);
      return off;
    },
    f32: (off, n) => Array.from(heap.f32.subarray(off, off + n)),
    i32: (off, n) => Array.from(heap.i32.subarray(off, off + n)),
    bytes(values) {
      const off = heap.alloc(Math.ceil(values.length / 4) + 1);
      new Uint8Array(heap.f32.buffer, off * 4, values.length).set(values);
      return off;
    },
    f64(values) {
      const off = heap.alloc(values.length * 2);
      new Float64Array(heap.f32.buffer, off * 4, values.length).set(values);
      return off;
    },
    u8: (off, n) => Array.from(new Uint8Array(heap.f32.buffer, off * 4, n)),
    i32Set: (off, values) => heap.i32.set(values, off),
  };
}

const sparseBytes = (n: number, seed: number) =>
  Uint8Array.from(randomValues(n, seed), (v) => (v > 0.4 ? Math.floor((v + 1) * 127) : 0));

/** Builds inputs, runs the kernel, returns everything it wrote (and returned). */
const CASES: Record<WasmKernelName, (e: Env, size: number) => number[]> = {
  warpImages(e, size) {
    // 11×13 images (143 bytes: not whole words), alternately affine and elastic records.
    const [rows, cols, stride] = [11, 13, 55];
    const pixels = rows * cols;
    const src = e.bytes(sparseBytes(size * pixels, 30));
    const out = e.bytes(new Uint8Array(size * pixels));
    const records = randomValues(size * stride, 31).map((v, i) => {
      const image = Math.floor(i / stride);
      const at = i % stride;
      if (at === 0) return image % 2;
      // A near-identity map (a, e ≈ 1) or cos ≈ 1 plus shifts and a field of ±1.5 px.
      if (at === 1 || (at === 5 && image % 2 === 0)) return 1 + v * 0.2;
      return v * 1.5;
    });
    const params = e.f64(records);
    const boxes = e.space(size * 4);
    e.i32Set(
      boxes,
      Array.from({ length: size * 4 }, (_, i) => [1, rows - 2, 2, cols - 3][i % 4]),
    );
    e.kernels.warpImages?.(size, rows, cols, pixels, src * 4, out * 4, params, 2 * stride, boxes);
    return e.u8(out, size * pixels);
  },
  gemm(e, size) {
    const [m, n, k] = [size, 64, 128]; // split with the worker from 127 rows
    const a = e.put(randomValues(m * k, 1));
    const b = e.put(randomValues(k * n, 2));
    const c = e.put(randomValues(m * n, 3));
    e.kernels.gemm(m, n, k, a, k, 1, b, c, true);
    return e.f32(c, m * n);
  },
  transpose(e, size) {
    const src = e.put(randomValues(size * 7, 4));
    const dst = e.space(size * 7);
    e.kernels.transpose(src, size, 7, dst);
    return e.f32(dst, size * 7);
  },
  spmm(e, size) {
    const cols = 40; // ~30% non-zeros: 2·nnz·200 flops pass the split threshold at 513 rows
    const bytes = e.bytes(sparseBytes(size * cols, 5));
    const [rowPtr, idx, val] = [e.space(size + 1), e.space(size * cols), e.space(size * cols)];
    const nnz = e.kernels.sparseRowsFromBytes(size, cols, bytes, 1 / 255, rowPtr, idx, val);
    const n = 256;
    // The product over 200 of the 256 columns: the other 56 of out must stay as they were.
    const d = e.put(randomValues(cols * n, 6));
    const out = e.put(randomValues(size * n, 7));
    e.kernels.spmm(size, 200, n, nnz, rowPtr, idx, val, d, out, true);
    return e.f32(out, size * n);
  },
  biasRelu(e, size) {
    // The big case is wide enough to be cut among threads (evaluation's batches are).
    const cols = size === 513 ? 1027 : 9;
    const x = e.put(randomValues(size * cols, 8));
    const bias = e.put(randomValues(cols, 9));
    const [out, plain] = [e.space(size * cols), e.space(size * cols)];
    e.kernels.biasRelu(size, cols, x, bias, out, true);
    e.kernels.biasRelu(size, cols, x, bias, plain, false);
    return [...e.f32(out, size * cols), ...e.f32(plain, size * cols)];
  },
  reluBackward(e, size) {
    const n = size === 513 ? size * 1027 : size;
    const [dy, y, out] = [e.put(randomValues(n, 10)), e.put(randomValues(n, 11)), e.space(n)];
    e.kernels.reluBackward(n, dy, y, out);
    return e.f32(out, n);
  },
  countNonZeros(e, size) {
    return [e.kernels.countNonZeros(e.bytes(sparseBytes(size * 3, 12)), size * 3)];
  },
  sparseRowsFromBytes(e, size) {
    const cols = 17;
    const bytes = e.bytes(sparseBytes(size * cols, 13));
    const [rowPtr, idx, val] = [e.space(size + 1), e.space(size * cols), e.space(size * cols)];
    const nnz = e.kernels.sparseRowsFromBytes(size, cols, bytes, 0.5, rowPtr, idx, val);
    return [nnz, ...e.i32(rowPtr, size + 1), ...e.i32(idx, nnz), ...e.f32(val, nnz)];
  },
  cscFromCsr(e, size) {
    const cols = 23;
    const bytes = e.bytes(sparseBytes(size * cols, 14));
    const [rowPtr, idx, val] = [e.space(size + 1), e.space(size * cols), e.space(size * cols)];
    const nnz = e.kernels.sparseRowsFromBytes(size, cols, bytes, 1, rowPtr, idx, val);
    const [colPtr, colIdx, colVal, cursor] = [e.space(cols + 1), e.space(nnz), e.space(nnz), e.space(cols)];
    e.kernels.cscFromCsr(size, cols, rowPtr, idx, val, colPtr, colIdx, colVal, cursor);
    return [...e.i32(colPtr, cols + 1), ...e.i32(colIdx, nnz), ...e.f32(colVal, nnz)];
  },
  adam(e, size) {
    const n = size * 300; // past the size where it splits
    const [p, g, m] = [11, 12, 13].map((s) => e.put(randomValues(n, s)));
    const v = e.put(randomValues(n, 14).map(Math.abs)); // a second moment is never negative
    e.kernels.adam(
      n,
      p,
      g,
      m,
      v,
      e.put(new Float32Array(n).fill(0.9)),
      e.put(new Float32Array(n).fill(0.99)),
      1e-3,
      0.9,
      0.999,
      1e-8,
      0.01,
    );
    return [...e.f32(p, n), ...e.f32(m, n)];
  },
};

const implementations = {
  typescript: new CpuBackend({ kernels: 'typescript' }),
  wasm: new CpuBackend({ kernels: 'wasm-simd', threads: false }),
  // Three threads on any machine (on fewer cores it is only slower): pieces of uneven sizes.
  threaded: new CpuBackend({ kernels: 'wasm-simd', threads: 3 }),
};
afterAll(() => {
  for (const b of Object.values(implementations)) b.dispose();
});

describe.each(WASM_KERNEL_NAMES)('kernel %s', (name) => {
  it.each([1, 7, 127, 513])('agrees on every implementation at size %i', (size) => {
    const wasm = CASES[name](env(implementations.wasm), size);
    // The worker computes whole rows or entries in the same order: bit-identical.
    const handOffs = implementations.threaded.threadHandOffs;
    expect(CASES[name](env(implementations.threaded), size)).toEqual(wasm);
    if (size === 513 && 'split' in CPU_KERNELS[name] && implementations.threaded.kernels.threads > 1)
      expect(implementations.threaded.threadHandOffs, 'the big case ran on several threads').toBeGreaterThan(
        handOffs,
      );
    // The WebAssembly-only kernels are checked against their callers' code (the warp: trainer's
    // augmentation test against data-mnist's, bit for bit).
    if ((CPU_KERNELS[name] as KernelDeclaration).runs === 'wasm') {
      expect(wasm.some((v) => v !== 0)).toBe(true);
      return;
    }
    const ts = CASES[name](env(implementations.typescript), size);
    expect(ts).toHaveLength(wasm.length);
    for (let i = 0; i < ts.length; i++) {
      const scale = Math.max(1, Math.abs(wasm[i]));
      expect(Math.abs(ts[i] - wasm[i]) / scale, `${name}[${i}]`).toBeLessThan(2e-5);
    }
  });
});

describe('kernel table', () => {
  it('the WebAssembly module exports exactly the kernels declared for it, with their argument counts', () => {
    const module = new WebAssembly.Module(Buffer.from(kernelsWasmBase64, 'base64'));
    const memory = new WebAssembly.Memory({ initial: 16 });
    const { exports } = new WebAssembly.Instance(module, { env: { memory, abort() {} } });
    for (const name of WASM_KERNEL_NAMES) {
      const exported = exports[name];
      expect(typeof exported, name).toBe('function');
      expect((exported as (...args: number[]) => number).length, name).toBe(CPU_KERNELS[name].args.length);
    }
    const typescriptOnly = (Object.keys(CPU_KERNELS) as KernelName[]).filter(
      (n) => (CPU_KERNELS[n] as KernelDeclaration).runs === 'typescript',
    );
    expect(typescriptOnly.length).toBeGreaterThan(0);
    for (const name of typescriptOnly) expect(exports[name], name).toBeUndefined();
  });

  it('converts word offsets to bytes and flags to 0/1, nothing else', () => {
    expect(toWasmArgs(CPU_KERNELS.biasRelu, [3, 5, 10, 20, 30, true])).toEqual([3, 5, 40, 80, 120, 1]);
    expect(toWasmArgs(CPU_KERNELS.sparseRowsFromBytes, [2, 3, 7, 0.5, 1, 2, 3])).toEqual([
      2, 3, 28, 0.5, 4, 8, 12,
    ]);
  });

  it('splits a big product at a multiple of 4 rows, moving a and c with the rows', () => {
    const halves = splitCall(CPU_KERNELS.gemm, [130, 512, 784, 1000, 784, 1, 5000, 9000, false]);
    expect(halves?.[0]).toEqual([64, 512, 784, 1000, 784, 1, 5000, 9000, false]);
    expect(halves?.[1]).toEqual([66, 512, 784, 1000 + 64 * 784, 784, 1, 5000, 9000 + 64 * 512, false]);
    // Too little work for a hand-off: no split.
    expect(splitCall(CPU_KERNELS.gemm, [8, 8, 8, 0, 8, 1, 0, 0, false])).toBeNull();
  });

  it('cuts a call into N pieces on block boundaries that cover every unit once', () => {
    // 130 rows = 32 blocks of 4 and 2 tail rows; the tail goes with the last piece.
    const pieces = splitCall(CPU_KERNELS.gemm, [130, 512, 784, 1000, 784, 1, 5000, 9000, false], 3);
    expect(pieces?.map((p) => p[0])).toEqual([40, 44, 46]);
    expect(pieces?.map((p) => p[3])).toEqual([1000, 1000 + 40 * 784, 1000 + 84 * 784]);
    expect(pieces?.map((p) => p[7])).toEqual([9000, 9000 + 40 * 512, 9000 + 84 * 512]);
    // Never more pieces than blocks: 9 rows are two blocks of 4 (and a tail row).
    expect(splitCall(CPU_KERNELS.gemm, [9, 4096, 4096, 0, 4096, 1, 0, 0, false], 16)).toHaveLength(2);
    // Never pieces of less than half the split threshold: 2.5 M flops make two pieces, not four.
    expect(splitCall(CPU_KERNELS.adam, [131_072, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0], 4)).toHaveLength(4);
    expect(splitCall(CPU_KERNELS.adam, [65_536, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0], 4)).toHaveLength(2);
    for (const [units, parts] of [
      [1, 4],
      [7, 3],
      [127, 4],
      [513, 16],
      [100_003, 7],
    ]) {
      const cut = splitCall(CPU_KERNELS.adam, [units, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0], parts);
      if (!cut) continue;
      let next = 0;
      for (const piece of cut) {
        expect(piece[1], 'each piece starts where the last ended').toBe(next);
        if (piece !== cut[cut.length - 1]) expect((piece[0] as number) % 4).toBe(0);
        next += piece[0] as number;
      }
      expect(next).toBe(units);
    }
  });

  it('splits a sparse product by columns at a multiple of 8, rows keeping their stride', () => {
    // Xᵀ·dH for a 100-wide hidden layer (784 input rows).
    const product = splitCall(CPU_KERNELS.spmm, [784, 100, 100, 40_000, 10, 20, 30, 1000, 90000, false]);
    expect(product?.[0]).toEqual([784, 48, 100, 40_000, 10, 20, 30, 1000, 90000, false]);
    expect(product?.[1]).toEqual([784, 52, 100, 40_000, 10, 20, 30, 1048, 90048, false]);
    // The work is the non-zeros' (here 2·40,000·100 flops), not the rows'.
    expect(splitCall(CPU_KERNELS.spmm, [784, 100, 100, 400, 10, 20, 30, 1000, 90000, false])).toBeNull();
  });
});
