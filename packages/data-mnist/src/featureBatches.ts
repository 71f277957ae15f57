import type { FeatureTable } from './featureTable.js';
import { mixSeed, seededRandom, shuffleInPlace } from './seededRandom.js';

/** One batch of feature rows. `x`/`labels` are views of buffers reused for the next batch. */
export interface FeatureBatch {
  x: Float32Array;
  labels: Uint8Array;
  /** Regression: the rows' targets (when the table has them). */
  targets: Float32Array | null;
  size: number;
}

/**
 * Batches over a subset of a {@link FeatureTable}'s rows, reshuffled every epoch by seed and
 * epoch (the same order {@link Batches} gives images), buffers reused.
 *
 * @example
 * ```ts
 * const batches = new FeatureBatches(table, split.train, { batchSize: 64, seed: 1 });
 * for (const b of batches.epoch(1)) step(b.x, b.labels, b.size);
 * ```
 */
export class FeatureBatches {
  private x = new Float32Array(0);
  private labels = new Uint8Array(0);
  private targets = new Float32Array(0);
  private order: Int32Array;

  constructor(
    readonly table: {
      x: Float32Array | Float64Array;
      labels: Uint8Array;
      features: number;
      targets?: ArrayLike<number>;
    },
    readonly indices: Int32Array,
    readonly options: { batchSize: number | (() => number); seed?: number },
  ) {
    this.order = new Int32Array(indices.length);
  }

  /** The batches of one epoch (deterministic per seed and epoch). */
  *epoch(epoch: number): Generator<FeatureBatch> {
    const { seed = 0 } = this.options;
    const { features } = this.table;
    this.order.set(this.indices);
    shuffleInPlace(this.order, seededRandom(mixSeed(seed, epoch)));
    for (let start = 0; start < this.order.length; ) {
      const wanted =
        typeof this.options.batchSize === 'function' ? this.options.batchSize() : this.options.batchSize;
      if (!Number.isInteger(wanted) || wanted < 1)
        throw new RangeError(`batch size must be a positive integer, got ${wanted}`);
      const size = Math.min(wanted, this.order.length - start);
      if (this.labels.length < size) {
        this.x = new Float32Array(size * features);
        this.labels = new Uint8Array(size);
        this.targets = new Float32Array(this.table.targets ? size : 0);
      }
      for (let i = 0; i < size; i++) {
        const k = this.order[start + i];
        this.x.set(this.table.x.subarray(k * features, (k + 1) * features), i * features);
        this.labels[i] = this.table.labels[k];
        if (this.table.targets) this.targets[i] = this.table.targets[k];
      }
      yield {
        x: this.x.subarray(0, size * features),
        labels: this.labels.subarray(0, size),
        targets: this.table.targets ? this.targets.subarray(0, size) : null,
        size,
      };
      start += size;
    }
  }
}

/** The rows at `index` of a table, one after another. */
export function gatherRows<X extends Float32Array | Float64Array>(
  table: { x: X; labels: Uint8Array; features: number; targets?: Float32Array | Float64Array },
  index: Int32Array,
): { x: X; labels: Uint8Array; count: number; targets?: Float64Array } {
  const f = table.features;
  // The same precision as the table's: rows still to be standardised stay float64.
  const x = (
    table.x instanceof Float64Array ? new Float64Array(index.length * f) : new Float32Array(index.length * f)
  ) as X;
  const labels = new Uint8Array(index.length);
  index.forEach((k, i) => {
    x.set(table.x.subarray(k * f, (k + 1) * f), i * f);
    labels[i] = table.labels[k];
  });
  const { targets } = table;
  return {
    x,
    labels,
    count: index.length,
    ...(targets ? { targets: Float64Array.from(index, (k) => targets[k]) } : {}),
  };
}
