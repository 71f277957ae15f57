import { ADAM_GRAD_FLUSH, ADAM_STATE_FLUSH } from '../numericLimits.js';
import { kernelsSharedWasmBase64, kernelsWasmBase64 } from './kernels.wasm.generated.js';
import { KERNEL, KernelThreads } from './kernelThreads.js';
import { sparseRowsKernels } from './sparseRowsKernels.js';

/** The cpu backend's hot loops. Every offset is in 4-byte words into the heap. */
export interface CpuKernels {
  readonly kind: 'wasm-simd' | 'typescript';
  /** Threads that share the big kernels (1 or 2). */
  readonly threads: number;
  gemm(
    m: number,
    n: number,
    k: number,
    a: number,
    ars: number,
    acs: number,
    b: number,
    c: number,
    acc: boolean,
  ): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  spmm(
    rows: number,
    n: number,
    rowPtr: number,
    idx: number,
    val: number,
    d: number,
    out: number,
    acc: boolean,
  ): void;
  biasRelu(rows: number, cols: number, x: number, bias: number, out: number, relu: boolean): void;
  reluBackward(size: number, dy: number, y: number, out: number): void;
  /** Non-zero bytes among `n` at word offset `bytes`. */
  countNonZeros(bytes: number, n: number): number;
  /** CSR of rows×cols bytes at word offset `bytes` (values byte·scale); returns the non-zeros. */
  sparseRowsFromBytes(
    rows: number,
    cols: number,
    bytes: number,
    scale: number,
    rowPtr: number,
    idx: number,
    val: number,
  ): number;
  /** CSC of a CSR matrix; `cursor` is scratch of `cols` words. */
  cscFromCsr(
    rows: number,
    cols: number,
    rowPtr: number,
    idx: number,
    val: number,
    colPtr: number,
    colIdx: number,
    colVal: number,
    cursor: number,
  ): void;
  adam(
    size: number,
    p: number,
    g: number,
    m: number,
    v: number,
    c1: number,
    c2: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
  ): void;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(text, 'base64'));
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** worker_threads when running in Node (synchronously, without a bundler-visible import). */
function workerClass(): (new (code: string, options: Record<string, unknown>) => never) | null {
  // biome-ignore lint/suspicious/noExplicitAny: getBuiltinModule is Node ≥ 20.16
  const get = typeof process !== 'undefined' ? (process as any).getBuiltinModule : undefined;
  return get ? (get('node:worker_threads')?.Worker ?? null) : null;
}

// Below these sizes the hand-off (~20 µs) costs more than half the work saves.
const MIN_SPLIT_FLOPS = 2_000_000;
const MIN_SPLIT_ADAM = 65_536;

/**
 * Instantiates the SIMD module against a fresh memory; throws where WebAssembly SIMD is missing.
 * With `threads`, the memory is shared and a worker thread runs half of each big kernel.
 */
export function loadWasmKernels(options: { threads?: boolean } = {}): {
  memory: WebAssembly.Memory;
  kernels: CpuKernels;
  threads: KernelThreads | null;
} {
  const Worker = options.threads ? workerClass() : null;
  const shared = Worker !== null && typeof SharedArrayBuffer !== 'undefined';
  const memory = new WebAssembly.Memory(
    shared ? { initial: 16, maximum: 65536, shared: true } : { initial: 16, maximum: 65536 },
  );
  const module = new WebAssembly.Module(decodeBase64(shared ? kernelsSharedWasmBase64 : kernelsWasmBase64));
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm kernel abort');
      },
    },
  });
  // biome-ignore lint/suspicious/noExplicitAny: exports of a module built in this package
  const w = instance.exports as any;
  const threads = shared && Worker ? new KernelThreads(Worker, module, memory) : null;
  const parallel = () => threads !== null && !threads.broken;
  const kernels: CpuKernels = {
    kind: 'wasm-simd',
    threads: threads ? 2 : 1,
    gemm: (m, n, k, a, ars, acs, b, c, acc) => {
      const split = parallel() && 2 * m * n * k >= MIN_SPLIT_FLOPS && m >= 8 ? Math.floor(m / 8) * 4 : 0;
      if (split)
        threads!.start(KERNEL.gemm, [
          m - split,
          n,
          k,
          (a + split * ars) * 4,
          ars,
          acs,
          b * 4,
          (c + split * n) * 4,
          acc ? 1 : 0,
        ]);
      w.gemm(split || m, n, k, a * 4, ars, acs, b * 4, c * 4, acc ? 1 : 0);
      if (split) threads!.join();
    },
    transpose: (src, rows, cols, dst) => w.transpose(src * 4, rows, cols, dst * 4),
    spmm: (rows, n, rowPtr, idx, val, d, out, acc) => {
      const split =
        parallel() && rows >= 2 && 2 * rows * n * 16 >= MIN_SPLIT_FLOPS ? Math.floor(rows / 2) : 0;
      if (split)
        threads!.start(KERNEL.spmm, [
          rows - split,
          n,
          (rowPtr + split) * 4,
          idx * 4,
          val * 4,
          d * 4,
          (out + split * n) * 4,
          acc ? 1 : 0,
        ]);
      w.spmm(split || rows, n, rowPtr * 4, idx * 4, val * 4, d * 4, out * 4, acc ? 1 : 0);
      if (split) threads!.join();
    },
    biasRelu: (rows, cols, x, bias, out, relu) =>
      w.biasRelu(rows, cols, x * 4, bias * 4, out * 4, relu ? 1 : 0),
    reluBackward: (size, dy, y, out) => w.reluBackward(size, dy * 4, y * 4, out * 4),
    countNonZeros: (bytes, n) => w.countNonZeros(bytes * 4, n),
    sparseRowsFromBytes: (rows, cols, bytes, scale, rowPtr, idx, val) =>
      w.sparseRowsFromBytes(rows, cols, bytes * 4, scale, rowPtr * 4, idx * 4, val * 4),
    cscFromCsr: (rows, cols, rowPtr, idx, val, colPtr, colIdx, colVal, cursor) =>
      w.cscFromCsr(rows, cols, rowPtr * 4, idx * 4, val * 4, colPtr * 4, colIdx * 4, colVal * 4, cursor * 4),
    adam: (size, p, g, m, v, c1, c2, lr, b1, b2, eps, wd) => {
      const split = parallel() && size >= MIN_SPLIT_ADAM ? Math.floor(size / 8) * 4 : 0;
      if (split) {
        const o = split;
        threads!.start(KERNEL.adam, [
          size - o,
          (p + o) * 4,
          (g + o) * 4,
          (m + o) * 4,
          (v + o) * 4,
          (c1 + o) * 4,
          (c2 + o) * 4,
          lr,
          b1,
          b2,
          eps,
          wd,
        ]);
      }
      w.adam(split || size, p * 4, g * 4, m * 4, v * 4, c1 * 4, c2 * 4, lr, b1, b2, eps, wd);
      if (split) threads!.join();
    },
  };
  return { memory, kernels, threads };
}

/** The same kernels in plain TypeScript, for engines without WebAssembly SIMD. */
export function typescriptKernels(heap: { f32: Float32Array; i32: Int32Array }): CpuKernels {
  return {
    kind: 'typescript',
    threads: 1,
    ...sparseRowsKernels(heap),
    gemm(m, n, k, a, ars, acs, b, c, acc) {
      const f = heap.f32;
      for (let i = 0; i < m; i++) {
        const ci = c + i * n;
        if (!acc) f.fill(0, ci, ci + n);
        for (let p = 0; p < k; p++) {
          const av = f[a + i * ars + p * acs];
          if (av === 0) continue;
          const bp = b + p * n;
          for (let j = 0; j < n; j++) f[ci + j] += av * f[bp + j];
        }
      }
    },
    transpose(src, rows, cols, dst) {
      const f = heap.f32;
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) f[dst + j * rows + i] = f[src + i * cols + j];
    },
    spmm(rows, n, rowPtr, idx, val, d, out, acc) {
      const f = heap.f32;
      const ix = heap.i32;
      for (let r = 0; r < rows; r++) {
        const o = out + r * n;
        if (!acc) f.fill(0, o, o + n);
        for (let p = ix[rowPtr + r]; p < ix[rowPtr + r + 1]; p++) {
          const v = f[val + p];
          const dp = d + ix[idx + p] * n;
          for (let j = 0; j < n; j++) f[o + j] += v * f[dp + j];
        }
      }
    },
    biasRelu(rows, cols, x, bias, out, relu) {
      const f = heap.f32;
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) {
          const s = f[x + r * cols + j] + f[bias + j];
          f[out + r * cols + j] = relu && s < 0 ? 0 : s;
        }
      }
    },
    reluBackward(size, dy, y, out) {
      const f = heap.f32;
      for (let i = 0; i < size; i++) f[out + i] = f[y + i] > 0 ? f[dy + i] : 0;
    },
    adam(size, p, g, m, v, c1, c2, lr, b1, b2, eps, wd) {
      const f = heap.f32;
      for (let i = 0; i < size; i++) {
        // Flushed like the WebAssembly kernel (numericLimits.ts says why).
        const gi = flush(f[g + i], ADAM_GRAD_FLUSH);
        const mi = (f[m + i] = flush(b1 * f[m + i] + (1 - b1) * gi, ADAM_STATE_FLUSH));
        const vi = (f[v + i] = flush(b2 * f[v + i] + (1 - b2) * gi * gi, ADAM_STATE_FLUSH));
        const p1 = (f[c1 + i] = flush(f[c1 + i] * b1, ADAM_STATE_FLUSH));
        const p2 = (f[c2 + i] = flush(f[c2 + i] * b2, ADAM_STATE_FLUSH));
        let pi = f[p + i];
        pi -= lr * wd * pi;
        f[p + i] = pi - (lr * (mi / (1 - p1))) / (Math.sqrt(vi / (1 - p2)) + eps);
      }
    },
  };
}

function flush(x: number, tiny: number): number {
  return Math.abs(x) >= tiny ? x : 0;
}
