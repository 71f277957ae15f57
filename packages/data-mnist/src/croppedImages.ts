import { type InkBox, inkBox } from './affineWarp.js';
import type { LabeledImages } from './labeledImages.js';

/**
 * A labeled image set held as each image's ink box and the bytes inside it: MNIST's 60,000
 * training digits take ~18 MB instead of 47 (a digit's box is ~20×15 of its 28×28 pixels), and
 * every image expands back to exactly its bytes. `Batches` reads it as it reads a plain set.
 */
export interface CroppedImages {
  readonly kind: 'cropped';
  readonly labels: Uint8Array;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** Bytes held: the cropped pixels and each image's box and offset. */
  readonly byteLength: number;
  /** Image k's ink box (top > bottom: a blank image). */
  box(k: number): InkBox;
  /** Writes image k's rows·cols bytes at `out[at…]`. */
  expandInto(k: number, out: Uint8Array, at: number): void;
}

/** A plain set or a cropped one: what `Batches` takes. */
export type ImageSet = LabeledImages | CroppedImages;

/**
 * Crops every image of a set to its ink box (see {@link CroppedImages}). The set's own `images`
 * can then be let go of.
 *
 * @example
 * ```ts
 * const train = croppedImages(mnist.train); // ~18 MB instead of 47
 * const batches = new Batches(train, split.train, { batchSize: 128 });
 * ```
 */
export function croppedImages(set: LabeledImages): CroppedImages {
  const { images, count, rows, cols } = set;
  const pixels = rows * cols;
  // Each image's box (top, bottom, left, right) and where its bytes start; Int16 boxes hold
  // images up to 32,767 pixels a side, Float64 offsets any total size.
  if (rows > 32767 || cols > 32767)
    throw new RangeError(`croppedImages: ${rows}×${cols} images are too large`);
  const boxes = new Int16Array(count * 4);
  const starts = new Float64Array(count + 1);
  let total = 0;
  for (let k = 0; k < count; k++) {
    const b = inkBox(images, rows, cols, k * pixels);
    boxes.set([b.top, b.bottom, b.left, b.right], 4 * k);
    starts[k] = total;
    if (b.top <= b.bottom) total += (b.bottom - b.top + 1) * (b.right - b.left + 1);
  }
  starts[count] = total;
  const bytes = new Uint8Array(total);
  for (let k = 0; k < count; k++) {
    const [top, bottom, left, right] = boxes.subarray(4 * k, 4 * k + 4);
    const width = right - left + 1;
    let at = starts[k];
    for (let y = top; y <= bottom; y++, at += width) {
      const from = k * pixels + y * cols + left;
      bytes.set(images.subarray(from, from + width), at);
    }
  }
  return {
    kind: 'cropped',
    labels: set.labels,
    count,
    rows,
    cols,
    byteLength: bytes.byteLength + boxes.byteLength + starts.byteLength,
    box(k) {
      return { top: boxes[4 * k], bottom: boxes[4 * k + 1], left: boxes[4 * k + 2], right: boxes[4 * k + 3] };
    },
    expandInto(k, out, at) {
      out.fill(0, at, at + pixels);
      const [top, bottom, left, right] = [boxes[4 * k], boxes[4 * k + 1], boxes[4 * k + 2], boxes[4 * k + 3]];
      const width = right - left + 1;
      // Byte by byte: a subarray per row made ~90 MB of garbage an epoch (55,000 images × 20
      // rows), which grew V8's young generation, and so the process, by ~15 MB.
      let from = starts[k];
      for (let y = top; y <= bottom; y++) {
        const to = at + y * cols + left;
        for (let x = 0; x < width; x++) out[to + x] = bytes[from++];
      }
    },
  };
}
