import { ADAM_GRAD_FLUSH, ADAM_STATE_FLUSH } from '../numericLimits.js';
import type { CpuKernelFunctions } from './kernelTable.js';
import { sparseRowsKernels } from './sparseRowsKernels.js';

/** The same kernels in plain TypeScript, for engines without WebAssembly SIMD. */
export function typescriptKernels(heap: { f32: Float32Array; i32: Int32Array }): CpuKernelFunctions {
  return {
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
