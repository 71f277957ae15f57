import { ImageFormatError } from './errors.js';
import type { GrayImage } from './readImage.js';

/** Options of {@link normalizeDigit} (MNIST's own values by default). */
export interface NormalizeDigitOptions {
  /** Side of the output image (28). */
  size?: number;
  /** The digit's longer side is scaled to this (20). */
  box?: number;
}

/**
 * Makes any picture of one digit look like an MNIST digit, as LeCun et al. prepared theirs: ink
 * light on dark whichever way it was drawn (the border's colour is taken as the background),
 * background to 0 and the strongest ink to 255, the ink's bounding box scaled to fit 20×20 keeping
 * its aspect ratio (area averaging, so large and small images both come out anti-aliased), then
 * placed in 28×28 with its centre of mass at pixel (14, 14). Returns size² bytes, row by row.
 * A blank image (nothing but background) is an ImageFormatError naming `source`.
 *
 * @example
 * ```ts
 * const bytes = normalizeDigit(decodeImage(readFileSync('seven.png'), 'seven.png'));
 * ```
 */
export function normalizeDigit(
  image: GrayImage,
  source = 'image',
  options: NormalizeDigitOptions = {},
): Uint8Array {
  const { size = 28, box = 20 } = options;
  const { width, height } = image;
  const ink = inkOf(image);
  let [top, bottom, left, right] = [height, -1, width, -1];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (ink[y * width + x] > 0) {
        if (y < top) top = y;
        bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
  if (bottom < 0) throw new ImageFormatError(`${source}: blank image: no digit to classify`);
  const [boxW, boxH] = [right - left + 1, bottom - top + 1];
  const scale = box / Math.max(boxW, boxH);
  const [outW, outH] = [Math.max(1, Math.round(boxW * scale)), Math.max(1, Math.round(boxH * scale))];
  const patch = resampleArea(ink, width, left, top, boxW, boxH, outW, outH);
  // The centre of mass, in pixel indices, goes to pixel (size/2, size/2) — where MNIST has it: its
  // own digits come back from this function in place (tested).
  let [mass, mx, my] = [0, 0, 0];
  for (let y = 0; y < outH; y++)
    for (let x = 0; x < outW; x++) {
      const v = patch[y * outW + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  const offsetX = Math.round(size / 2 - mx / mass);
  const offsetY = Math.round(size / 2 - my / mass);
  const out = new Uint8Array(size * size);
  for (let y = 0; y < outH; y++) {
    const ty = y + offsetY;
    if (ty < 0 || ty >= size) continue;
    for (let x = 0; x < outW; x++) {
      const tx = x + offsetX;
      if (tx >= 0 && tx < size) out[ty * size + tx] = Math.round(Math.min(1, patch[y * outW + x]) * 255);
    }
  }
  return out;
}

/**
 * Ink in [0, 1]: inverted when the border is light (dark-on-light), minus the background (the
 * border's median), stretched so the strongest ink is 1; faint noise under 1/32 of it becomes 0.
 */
function inkOf(image: GrayImage): Float32Array {
  const { width, height, pixels } = image;
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(pixels[x], pixels[(height - 1) * width + x]);
  for (let y = 1; y < height - 1; y++) border.push(pixels[y * width], pixels[y * width + width - 1]);
  border.sort((a, b) => a - b);
  const background = border[border.length >> 1];
  const invert = background > 0.5;
  const ink = new Float32Array(pixels.length);
  let peak = 0;
  for (let i = 0; i < ink.length; i++) {
    const v = invert ? background - pixels[i] : pixels[i] - background;
    ink[i] = Math.max(v, 0);
    if (ink[i] > peak) peak = ink[i];
  }
  if (peak === 0) return ink;
  for (let i = 0; i < ink.length; i++) {
    const v = ink[i] / peak;
    ink[i] = v < 1 / 32 ? 0 : v;
  }
  return ink;
}

/** Which source pixels each output pixel covers along one axis, and how much of each. */
function coverage(start: number, length: number, count: number): { from: number; weights: number[] }[] {
  const step = length / count;
  return Array.from({ length: count }, (_, j) => {
    const [a, b] = [start + j * step, start + (j + 1) * step];
    const from = Math.floor(a);
    const weights: number[] = [];
    for (let i = from; i < b; i++) weights.push((Math.min(b, i + 1) - Math.max(a, i)) / step);
    return { from, weights };
  });
}

/** The w×h region at (left, top) of a `stride`-wide image, averaged by area into outW×outH. */
function resampleArea(
  src: Float32Array,
  stride: number,
  left: number,
  top: number,
  w: number,
  h: number,
  outW: number,
  outH: number,
): Float32Array {
  const columns = coverage(left, w, outW);
  const rows = coverage(top, h, outH);
  // Columns first (h rows × outW), then rows.
  const wide = new Float32Array(h * outW);
  for (let y = 0; y < h; y++) {
    const row = (top + y) * stride;
    columns.forEach(({ from, weights }, j) => {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * src[row + from + k];
      wide[y * outW + j] = sum;
    });
  }
  const out = new Float32Array(outH * outW);
  rows.forEach(({ from, weights }, i) => {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * wide[(from - top + k) * outW + x];
      out[i * outW + x] = sum;
    }
  });
  return out;
}
