/** Int8 weights of a rows×cols matrix with one scale per column: value ≈ q × scale[column]. */
export interface Int8Matrix {
  q: Int8Array;
  scales: Float32Array;
}

/**
 * Symmetric per-column int8 quantization of a row-major rows×cols matrix (a Dense kernel, whose
 * columns are output units): scale = max |w| / 127 over the column, q = round(w / scale) in
 * [−127, 127], zero point 0. A column of zeros gets scale 1 (its q are all 0).
 *
 * @example
 * ```ts
 * const { q, scales } = quantizeInt8(kernel.toArray(), 784, 512);
 * const back = dequantizeInt8({ q, scales }, 512); // within scale/2 of each weight
 * ```
 */
export function quantizeInt8(values: Float32Array, rows: number, cols: number): Int8Matrix {
  const scales = new Float32Array(cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) scales[c] = Math.max(scales[c], Math.abs(values[r * cols + c]));
  for (let c = 0; c < cols; c++) scales[c] = scales[c] > 0 ? Math.fround(scales[c] / 127) : 1;
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const v = Math.round(values[r * cols + c] / scales[c]);
      q[r * cols + c] = Math.min(127, Math.max(-127, v));
    }
  return { q, scales };
}

/** The float32 weights an int8 matrix stands for: q × scale[column], as every runtime computes it. */
export function dequantizeInt8(matrix: Int8Matrix, cols: number): Float32Array {
  const out = new Float32Array(matrix.q.length);
  for (let i = 0; i < out.length; i++) out[i] = matrix.q[i] * matrix.scales[i % cols];
  return out;
}
