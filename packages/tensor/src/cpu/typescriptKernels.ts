import { ADAM_GRAD_FLUSH, ADAM_STATE_FLUSH, PROBABILITY_FLUSH } from '../numericLimits.js';
import type { CpuKernelFunctions } from './kernelTable.js';
import { sparseRowsKernels } from './sparseRowsKernels.js';

/**
 * Every kernel of the table in plain TypeScript: all of them for engines without WebAssembly SIMD,
 * and the light ones (`runs: 'typescript'`) everywhere.
 */
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
    spmm(rows, n, ld, _nnz, rowPtr, idx, val, d, out, acc) {
      const f = heap.f32;
      const ix = heap.i32;
      for (let r = 0; r < rows; r++) {
        const o = out + r * ld;
        if (!acc) f.fill(0, o, o + n);
        for (let p = ix[rowPtr + r]; p < ix[rowPtr + r + 1]; p++) {
          const v = f[val + p];
          const dp = d + ix[idx + p] * ld;
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
    relu(size, x, out) {
      const f = heap.f32;
      for (let i = 0; i < size; i++) f[out + i] = Math.max(f[x + i], 0);
    },
    linear(size, alpha, a, beta, b, out) {
      const f = heap.f32;
      for (let i = 0; i < size; i++) f[out + i] = alpha * f[a + i] + beta * f[b + i];
    },
    fill(at, size, value) {
      heap.f32.fill(value, at, at + size);
    },
    softmax(rows, cols, x, out) {
      const f = heap.f32;
      for (let r = 0; r < rows; r++) {
        const xr = x + r * cols;
        const { max, sum } = rowExpSum(f, xr, cols);
        for (let j = 0; j < cols; j++)
          f[out + r * cols + j] = flushProbability(Math.exp(f[xr + j] - max) / sum);
      }
    },
    softmaxCrossEntropy(rows, cols, logits, labels, withGrad, grad, gradScale) {
      const f = heap.f32;
      let total = 0;
      for (let r = 0; r < rows; r++) {
        const xr = logits + r * cols;
        const { max, sum } = rowExpSum(f, xr, cols);
        const label = labels[r];
        total += Math.log(sum) - (f[xr + label] - max);
        if (!withGrad) continue;
        const gr = grad + r * cols;
        for (let j = 0; j < cols; j++)
          f[gr + j] = (flushProbability(Math.exp(f[xr + j] - max) / sum) - (j === label ? 1 : 0)) * gradScale;
      }
      return rows === 0 ? 0 : total / rows;
    },
    columnSums(rows, cols, x, out, accumulate) {
      const f = heap.f32;
      if (!accumulate) f.fill(0, out, out + cols);
      for (let r = 0; r < rows; r++) {
        const xr = x + r * cols;
        for (let j = 0; j < cols; j++) f[out + j] += f[xr + j];
      }
    },
    argmaxRows(rows, cols, x, out) {
      const f = heap.f32;
      for (let r = 0; r < rows; r++) {
        const xr = x + r * cols;
        let best = 0;
        for (let j = 1; j < cols; j++) if (f[xr + j] > f[xr + best]) best = j;
        out[r] = best;
      }
    },
    sumSquares(size, x) {
      const f = heap.f32;
      let s = 0;
      for (let i = 0; i < size; i++) s += f[x + i] * f[x + i];
      return s;
    },
  };
}

function flush(x: number, tiny: number): number {
  return Math.abs(x) >= tiny ? x : 0;
}

/** A row's maximum and Σ exp(x − max), the stable softmax's two passes over the row. */
function rowExpSum(f: Float32Array, at: number, cols: number): { max: number; sum: number } {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < cols; j++) max = Math.max(max, f[at + j]);
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp(f[at + j] - max);
  return { max, sum };
}

/** Probabilities below {@link PROBABILITY_FLUSH} become 0 (numericLimits.ts says why). */
function flushProbability(p: number): number {
  return p < PROBABILITY_FLUSH ? 0 : p;
}
