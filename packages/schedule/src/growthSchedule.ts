/** Options of {@link growthSchedule}. */
export interface GrowthScheduleOptions {
  /** Width at epoch 0 (the original NumPy script: 128; Sprout's default: half the final width). */
  initial: number;
  /** Width from `growthEpochs` on (the original NumPy script and Sprout: 512). */
  final: number;
  /** Epochs to go from initial to final (the original NumPy script: 20; Sprout's default: 4). */
  growthEpochs: number;
  /** `linear` grows a little every epoch; `stepped` grows in `steps` equal jumps. */
  mode?: 'linear' | 'stepped';
  steps?: number;
  /** Widths are rounded to a multiple of this (default 32). */
  multiple?: number;
}

/**
 * Hidden width at each epoch: `initial` at 0, `final` from `growthEpochs` on, never shrinking.
 *
 * @example
 * ```ts
 * const width = growthSchedule({ initial: 128, final: 512, growthEpochs: 20 });
 * width(0); // 128
 * width(10); // 320
 * width(20); // 512
 * ```
 */
export function growthSchedule(options: GrowthScheduleOptions): (epoch: number) => number {
  const { initial, final, growthEpochs, mode = 'linear', steps = 4, multiple = 32 } = options;
  if (!(initial > 0 && final >= initial))
    throw new RangeError(`growthSchedule: need 0 < initial ≤ final, got ${initial}, ${final}`);
  const round = (w: number) => Math.min(final, Math.max(initial, Math.round(w / multiple) * multiple));
  return (epoch) => {
    if (growthEpochs <= 0 || epoch >= growthEpochs) return final;
    if (epoch <= 0) return initial;
    const fraction =
      mode === 'stepped' ? Math.floor((epoch / growthEpochs) * steps) / steps : epoch / growthEpochs;
    return round(initial + (final - initial) * fraction);
  };
}
