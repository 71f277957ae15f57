/** A learning-rate schedule: a pure function of the step or epoch (fractions allowed). */
export type Schedule = (t: number) => number;

/** Options of {@link warmupDecay} (the original NumPy script's schedule). */
export interface WarmupDecayOptions {
  lr0: number;
  warmup: number;
  decay: number;
  decayPatience: number;
}

/**
 * The original NumPy script's schedule: `lr0·(e+1)/warmup` for `e < warmup`, else `lr0·decay^((e − warmup)/decayPatience)`.
 *
 * @example
 * ```ts
 * const lr = warmupDecay({ lr0: 1e-3, warmup: 5, decay: 0.5, decayPatience: 10 });
 * lr(0); // 2e-4
 * lr(5); // 1e-3
 * lr(15); // 5e-4
 * ```
 */
export function warmupDecay({ lr0, warmup, decay, decayPatience }: WarmupDecayOptions): Schedule {
  return (e) => (e < warmup ? (lr0 * (e + 1)) / warmup : lr0 * decay ** ((e - warmup) / decayPatience));
}

/** Constant rate. */
export const constant =
  (lr: number): Schedule =>
  () =>
    lr;

/** Multiplies by `factor` every `every` steps: `lr0·factor^⌊t/every⌋`. */
export function stepDecay(lr0: number, every: number, factor: number): Schedule {
  return (t) => lr0 * factor ** Math.floor(t / every);
}

/** Cosine from lr0 at t = 0 to `min` at t = total, then `min`. */
export function cosine(lr0: number, total: number, min = 0): Schedule {
  return (t) => (t >= total ? min : min + ((lr0 - min) * (1 + Math.cos((Math.PI * t) / total))) / 2);
}

/**
 * Linear warmup in front of any schedule: `then(warmupSteps)·(t+1)/warmupSteps` before, `then(t)` after.
 * Composes: `linearWarmup(500, cosine(1e-3, 10_000))` for a per-batch warmup.
 */
export function linearWarmup(warmupSteps: number, then: Schedule): Schedule {
  return (t) => (t < warmupSteps ? (then(warmupSteps) * (t + 1)) / warmupSteps : then(t));
}

/** Shifts a schedule: `offset(s, k)(t) = s(t + k)`, e.g. to continue one after a restart. */
export function offset(s: Schedule, k: number): Schedule {
  return (t) => s(t + k);
}

/** Options of {@link oneCycle}. */
export interface OneCycleOptions {
  /** The peak rate. */
  lrMax: number;
  /** Length of the cycle (steps or epochs); after it the rate stays at its end value. */
  total: number;
  /** Fraction of the cycle spent rising (default 0.3). */
  pctStart?: number;
  /** The start rate is lrMax / divFactor (default 25). */
  divFactor?: number;
  /** The end rate is the start rate / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
}

/**
 * Smith's one-cycle policy (as in fastai and PyTorch's OneCycleLR): a cosine rise from
 * lrMax/divFactor to lrMax over the first `pctStart` of the cycle, then a cosine fall to
 * lrMax/(divFactor·finalDivFactor).
 *
 * @example
 * ```ts
 * const lr = oneCycle({ lrMax: 3e-3, total: 100 });
 * lr(0);  // 1.2e-4
 * lr(30); // 3e-3
 * lr(100); // 1.2e-8
 * ```
 */
export function oneCycle({
  lrMax,
  total,
  pctStart = 0.3,
  divFactor = 25,
  finalDivFactor = 1e4,
}: OneCycleOptions): Schedule {
  const start = lrMax / divFactor;
  const end = start / finalDivFactor;
  const rise = total * pctStart;
  const between = (from: number, to: number, f: number) =>
    to + ((from - to) * (1 + Math.cos(Math.PI * f))) / 2;
  return (t) => {
    if (t >= total) return end;
    if (t < rise) return between(start, lrMax, t / rise);
    return between(lrMax, end, (t - rise) / Math.max(total - rise, 1e-12));
  };
}
