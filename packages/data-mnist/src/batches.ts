import { type InkBox, inkBox } from './affineWarp.js';
import { type AugmentOptions, applyAugmentation, augmentRecordLength, drawAugmentation } from './augment.js';
import type { ImageSet } from './croppedImages.js';
import { mixSeed, seededRandom, shuffleInPlace } from './seededRandom.js';

/** One batch. `images`/`labels` are views of buffers reused for the next batch: copy to keep. */
export interface Batch {
  images: Uint8Array;
  labels: Uint8Array;
  size: number;
  /** Which examples of the set these are. */
  indices: Int32Array;
  /** Position of this batch in the epoch (0-based). */
  index: number;
}

/** Options for {@link Batches}. */
export interface BatchOptions {
  /** A fixed size, or a function asked before every batch (dynamic batch sizing). */
  batchSize: number | (() => number);
  /** Reshuffle every epoch (seeded by seed and epoch). Default true. */
  shuffle?: boolean;
  seed?: number;
  /** Drop a last batch smaller than the batch size. Default false. */
  dropLast?: boolean;
  /** Augment on the fly (training only). */
  augment?: AugmentOptions | false;
  /**
   * Runs a batch's augmentation warps elsewhere — e.g. `@sprout/tensor`'s cpu backend, whose
   * `warpImages` spreads them over its kernel threads. The transforms are drawn here, in order,
   * so the bytes are the same as without it. Default: warped here, one image after another.
   */
  augmentWith?: (batch: AugmentBatch) => void;
}

/**
 * One batch's augmentation, drawn and ready to warp: image i's source bytes at `src[i·rows·cols…]`
 * go warped to `out[i·rows·cols…]` by the transform at `params[i·stride…]` (see
 * drawAugmentation), given its ink box at `boxes[4i…]` (top, bottom, left, right).
 */
export interface AugmentBatch {
  count: number;
  rows: number;
  cols: number;
  src: Uint8Array;
  out: Uint8Array;
  params: Float64Array;
  stride: number;
  boxes: Int32Array;
}

/**
 * Batches over a subset of a labeled image set: seeded per-epoch shuffles, optional augmentation,
 * buffers reused across batches. Iterate an epoch synchronously or with `for await`.
 *
 * @example
 * ```ts
 * const batches = new Batches(mnist.train, split.train, { batchSize: 128, seed: 1 });
 * for (const batch of batches.epoch(0)) train(batch.images, batch.labels, batch.size);
 * ```
 */
export class Batches {
  private imageBuffer = new Uint8Array(0);
  private labelBuffer = new Uint8Array(0);
  /** A batch's drawn transforms, ink boxes and (for `augmentWith`) gathered source images. */
  private records = new Float64Array(0);
  private boxes = new Int32Array(0);
  private sources = new Uint8Array(0);
  private order: Int32Array;
  /** Each image's ink box, found the first time it is augmented (top = -1: not yet). */
  private inkBoxes: Int16Array | null = null;
  readonly pixels: number;

  constructor(
    readonly set: ImageSet,
    readonly indices: Int32Array,
    readonly options: BatchOptions,
  ) {
    this.pixels = set.rows * set.cols;
    this.order = new Int32Array(indices.length);
  }

  private ink(k: number): InkBox {
    if ('kind' in this.set) return this.set.box(k);
    const { images, rows, cols, count } = this.set;
    // The boxes are kept in an Int16Array: images up to 32767 pixels on a side.
    if (rows > 32767 || cols > 32767) return inkBox(images, rows, cols, k * this.pixels);
    this.inkBoxes ??= new Int16Array(count * 4).fill(-1);
    const boxes = this.inkBoxes;
    if (boxes[4 * k] === -1) {
      const box = inkBox(images, rows, cols, k * this.pixels);
      boxes.set([box.top, box.bottom, box.left, box.right], 4 * k);
    }
    return { top: boxes[4 * k], bottom: boxes[4 * k + 1], left: boxes[4 * k + 2], right: boxes[4 * k + 3] };
  }

  /** Draws the transforms of the batch's images in order, then warps them here or by `augmentWith`. */
  private augmentBatch(start: number, size: number, random: () => number, augment: AugmentOptions): void {
    const { rows, cols } = this.set;
    const px = this.pixels;
    const stride = augmentRecordLength(augment);
    if (this.records.length < size * stride) this.records = new Float64Array(size * stride);
    if (this.boxes.length < size * 4) this.boxes = new Int32Array(size * 4);
    const elsewhere = this.options.augmentWith;
    // A plain set warped here is read in place; otherwise the batch's sources are gathered first.
    const inPlace = !elsewhere && !('kind' in this.set) ? this.set.images : null;
    if (!inPlace && this.sources.length < size * px) this.sources = new Uint8Array(size * px);
    for (let i = 0; i < size; i++) {
      const k = this.order[start + i];
      drawAugmentation(random, augment, rows, cols, this.records, i * stride);
      const box = this.ink(k);
      if (!inPlace) this.copyImage(k, this.sources, i * px);
      if (!elsewhere) {
        const [src, srcAt] = inPlace ? [inPlace, k * px] : [this.sources, i * px];
        applyAugmentation(src, this.imageBuffer, rows, cols, this.records, i * stride, srcAt, i * px, box);
      } else {
        this.boxes[4 * i] = box.top;
        this.boxes[4 * i + 1] = box.bottom;
        this.boxes[4 * i + 2] = box.left;
        this.boxes[4 * i + 3] = box.right;
      }
    }
    elsewhere?.({
      count: size,
      rows,
      cols,
      src: this.sources.subarray(0, size * px),
      out: this.imageBuffer.subarray(0, size * px),
      params: this.records.subarray(0, size * stride),
      stride,
      boxes: this.boxes.subarray(0, size * 4),
    });
  }

  /** Writes image k's bytes at `out[at…]`. */
  private copyImage(k: number, out: Uint8Array, at: number): void {
    if ('kind' in this.set) this.set.expandInto(k, out, at);
    else out.set(this.set.images.subarray(k * this.pixels, (k + 1) * this.pixels), at);
  }

  /** Number of examples per epoch. */
  get length(): number {
    return this.indices.length;
  }

  /** The batches of one epoch (deterministic per seed and epoch). */
  epoch(epoch: number): Iterable<Batch> & AsyncIterable<Batch> {
    const gen = () => this.generate(epoch);
    return {
      [Symbol.iterator]: gen,
      async *[Symbol.asyncIterator]() {
        yield* gen();
      },
    };
  }

  private *generate(epoch: number): Generator<Batch> {
    const { shuffle = true, seed = 0, dropLast = false, augment = false } = this.options;
    this.order.set(this.indices);
    if (shuffle) shuffleInPlace(this.order, seededRandom(mixSeed(seed, epoch)));
    const random = seededRandom(mixSeed(seed ^ 0xa5a5, epoch));
    const { labels } = this.set;
    const px = this.pixels;
    let start = 0;
    for (let index = 0; start < this.order.length; index++) {
      const wanted =
        typeof this.options.batchSize === 'function' ? this.options.batchSize() : this.options.batchSize;
      if (!Number.isInteger(wanted) || wanted < 1)
        throw new RangeError(`batch size must be a positive integer, got ${wanted}`);
      const size = Math.min(wanted, this.order.length - start);
      if (size < wanted && dropLast) return;
      if (this.labelBuffer.length < size) {
        this.imageBuffer = new Uint8Array(size * px);
        this.labelBuffer = new Uint8Array(size);
      }
      for (let i = 0; i < size; i++) this.labelBuffer[i] = labels[this.order[start + i]];
      if (augment) this.augmentBatch(start, size, random, augment);
      else for (let i = 0; i < size; i++) this.copyImage(this.order[start + i], this.imageBuffer, i * px);
      yield {
        images: this.imageBuffer.subarray(0, size * px),
        labels: this.labelBuffer.subarray(0, size),
        size,
        indices: this.order.subarray(start, start + size),
        index,
      };
      start += size;
    }
  }
}

/** Converts bytes to floats in [0, 1] into a reused buffer. */
export function toFloat(bytes: Uint8Array, out?: Float32Array): Float32Array {
  const o = out && out.length >= bytes.length ? out : new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) o[i] = bytes[i] / 255;
  return o;
}
