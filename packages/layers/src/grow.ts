import { type Initializer, initialValues, type Random, Tensor } from '@sprout/tensor';
import type { Parameter } from './parameter.js';
import type { Sequential } from './sequential.js';

/** How new units are made. */
export type GrowthStrategy = 'net2net' | 'zero-outgoing';

/** Options of {@link grow}. */
export interface GrowOptions {
  strategy?: GrowthStrategy;
  rng: Random;
  /** Incoming-weight initialiser for `zero-outgoing` (default He). */
  init?: Initializer;
}

/** What changed for one parameter, in the form `@sprout/optim`'s `grow` takes. */
export interface ParameterGrowth {
  param: Parameter;
  oldShape: number[];
  map: { rows: Int32Array | null; cols: Int32Array | null };
}

/**
 * Widens hidden Dense layer `denseIndex` (its outputs and the next Dense's inputs) to `newWidth`
 * so the network computes exactly the same function at the moment of growth:
 * - `net2net` (default): each new unit copies a random existing unit's incoming weights and bias;
 *   the copied unit's outgoing weights are split between it and its copies with random shares
 *   (summing to 1), which keeps outputs identical and breaks the copies' symmetry in training.
 * - `zero-outgoing`: new units get fresh incoming weights and zero outgoing weights.
 *
 * Returns the per-parameter growth maps for the optimizer.
 *
 * @example
 * ```ts
 * for (const g of grow(model, 0, 256, { rng })) adam.grow(g.param, g.map, g.oldShape);
 * ```
 */
export function grow(
  model: Sequential,
  denseIndex: number,
  newWidth: number,
  options: GrowOptions,
): ParameterGrowth[] {
  const dense = model.denseLayers;
  const layer = dense[denseIndex];
  const next = dense[denseIndex + 1];
  if (!layer || !next) throw new RangeError(`grow: dense layer ${denseIndex} is not a hidden layer`);
  const old = layer.outFeatures;
  if (!Number.isInteger(newWidth) || newWidth < old) {
    throw new RangeError(`grow: new width must be an integer ≥ ${old}, got ${newWidth}`);
  }
  if (newWidth === old) return [];
  const strategy = options.strategy ?? 'net2net';
  const rng = options.rng;
  const inF = layer.inFeatures;
  const outF = next.outFeatures;
  const w1 = layer.weight.value.toArray();
  const b1 = layer.bias.value.toArray();
  const w2 = next.weight.value.toArray();

  const source = new Int32Array(newWidth - old);
  for (let j = 0; j < source.length; j++) source[j] = rng.int(old);
  const nw1 = new Float32Array(inF * newWidth);
  const nb1 = new Float32Array(newWidth);
  const nw2 = new Float32Array(newWidth * outF);
  for (let r = 0; r < inF; r++) nw1.set(w1.subarray(r * old, (r + 1) * old), r * newWidth);
  nb1.set(b1);
  nw2.set(w2);
  if (strategy === 'net2net') {
    for (let j = 0; j < source.length; j++) {
      const s = source[j];
      for (let r = 0; r < inF; r++) nw1[r * newWidth + old + j] = w1[r * old + s];
      nb1[old + j] = b1[s];
    }
    // Split each source unit's outgoing row among it and its copies with random positive shares.
    const copies = new Map<number, number[]>();
    source.forEach((s, j) => {
      copies.set(s, [...(copies.get(s) ?? []), old + j]);
    });
    for (const [s, units] of copies) {
      const all = [s, ...units];
      const shares = all.map(() => 0.5 + rng.next());
      const total = shares.reduce((a, b) => a + b, 0);
      all.forEach((u, k) => {
        for (let c = 0; c < outF; c++) nw2[u * outF + c] = (w2[s * outF + c] * shares[k]) / total;
      });
    }
  } else {
    const fresh = initialValues(options.init ?? { kind: 'he' }, inF * (newWidth - old), inF, newWidth, rng);
    for (let r = 0; r < inF; r++) {
      for (let j = 0; j < newWidth - old; j++) nw1[r * newWidth + old + j] = fresh[r * (newWidth - old) + j];
    }
  }

  const keep = (n: number) => Int32Array.from({ length: newWidth }, (_, i) => (i < n ? i : -1));
  const growths: ParameterGrowth[] = [
    { param: layer.weight, oldShape: [inF, old], map: { rows: null, cols: keep(old) } },
    { param: layer.bias, oldShape: [old], map: { rows: null, cols: keep(old) } },
    // Net2Net rescales the source units' outgoing rows, but their optimizer state still fits them.
    { param: next.weight, oldShape: [old, outF], map: { rows: keep(old), cols: null } },
  ];
  const backend = layer.backend;
  layer.weight.replace(new Tensor(backend, [inF, newWidth]).set(nw1));
  layer.bias.replace(new Tensor(backend, [newWidth]).set(nb1));
  next.weight.replace(new Tensor(backend, [newWidth, outF]).set(nw2));
  layer.outFeatures = newWidth;
  next.inFeatures = newWidth;
  layer.resetBuffers();
  next.resetBuffers();
  return growths;
}
