import type { CpuKernelFunctions } from './kernelTable.js';

type SparseRowsKernels = Pick<CpuKernelFunctions, 'countNonZeros' | 'sparseRowsFromBytes' | 'cscFromCsr'>;

/** The TypeScript versions of assembly/sparseRows.ts (same results, value for value). */
export function sparseRowsKernels(heap: { f32: Float32Array; i32: Int32Array }): SparseRowsKernels {
  const bytesAt = (bytes: number, n: number) => new Uint8Array(heap.f32.buffer, bytes * 4, n);
  return {
    countNonZeros(bytes, n) {
      const b = bytesAt(bytes, n);
      let count = 0;
      for (let i = 0; i < n; i++) if (b[i] !== 0) count++;
      return count;
    },
    sparseRowsFromBytes(rows, cols, bytes, scale, rowPtr, idx, val) {
      const [f, ix, b] = [heap.f32, heap.i32, bytesAt(bytes, rows * cols)];
      let p = 0;
      for (let r = 0; r < rows; r++) {
        ix[rowPtr + r] = p;
        for (let c = 0; c < cols; c++) {
          const byte = b[r * cols + c];
          if (byte === 0) continue;
          ix[idx + p] = c;
          f[val + p] = byte * scale;
          p++;
        }
      }
      ix[rowPtr + rows] = p;
      return p;
    },
    cscFromCsr(rows, cols, rowPtr, idx, val, colPtr, colIdx, colVal, cursor) {
      const [f, ix] = [heap.f32, heap.i32];
      ix.fill(0, colPtr, colPtr + cols + 1);
      for (let q = 0; q < ix[rowPtr + rows]; q++) ix[colPtr + ix[idx + q] + 1]++;
      for (let c = 0; c < cols; c++) ix[colPtr + c + 1] += ix[colPtr + c];
      for (let c = 0; c < cols; c++) ix[cursor + c] = ix[colPtr + c];
      for (let r = 0; r < rows; r++) {
        for (let q = ix[rowPtr + r]; q < ix[rowPtr + r + 1]; q++) {
          const dst = ix[cursor + ix[idx + q]]++;
          ix[colIdx + dst] = r;
          f[colVal + dst] = f[val + q];
        }
      }
    },
  };
}
