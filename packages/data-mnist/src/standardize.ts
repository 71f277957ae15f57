/**
 * Per-feature standardisation, `(x − mean) / std`: what makes features on wildly different scales
 * (a ratio next to a price) train as well as MNIST's [0, 1] pixels. Fitted on the training rows
 * only, stored with the model, applied to every row it is given after that.
 */
export interface Standardization {
  mean: number[];
  std: number[];
}

/**
 * Mean and standard deviation of each feature of `count` rows (in float64; a constant feature
 * gets std 1, so it maps to 0 rather than dividing by zero).
 *
 * @example
 * ```ts
 * const stats = fitStandardization(table.x, table.count, table.features);
 * const ready = standardize(table.x, stats);
 * ```
 */
export function fitStandardization(x: ArrayLike<number>, count: number, features: number): Standardization {
  const mean = new Float64Array(features);
  const sq = new Float64Array(features);
  for (let r = 0; r < count; r++) for (let c = 0; c < features; c++) mean[c] += x[r * features + c];
  for (let c = 0; c < features; c++) mean[c] /= Math.max(1, count);
  for (let r = 0; r < count; r++)
    for (let c = 0; c < features; c++) {
      const d = x[r * features + c] - mean[c];
      sq[c] += d * d;
    }
  const std = Array.from(sq, (s) => {
    const sd = Math.sqrt(s / Math.max(1, count));
    return sd > 0 && Number.isFinite(sd) ? sd : 1;
  });
  return { mean: Array.from(mean), std };
}

/** `(x − mean) / std` of every row, into `out` (default: a new array). */
export function standardize(
  x: ArrayLike<number>,
  stats: Standardization,
  out = new Float32Array(x.length),
): Float32Array {
  const features = stats.mean.length;
  for (let i = 0; i < x.length; i++) {
    const c = i % features;
    out[i] = (x[i] - stats.mean[c]) / stats.std[c];
  }
  return out;
}
