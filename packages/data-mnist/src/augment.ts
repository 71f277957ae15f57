import { affineWarp } from './affineWarp.js';

/** Random geometric augmentation of digit images; all ranges are ± around identity. */
export interface AugmentOptions {
  /** Max shift in pixels (default 2). */
  translate?: number;
  /** Max rotation in degrees (default 10). */
  rotateDegrees?: number;
  /** Max relative scale change (default 0.1). */
  scale?: number;
  /** Elastic distortion strength in pixels (default 0 = off). */
  elastic?: number;
}

const GRID = 4;

/**
 * Writes a randomly transformed copy of a rows×cols byte image into `out` (inverse mapping with
 * bilinear sampling; outside pixels are 0). Deterministic for a given `random` stream. Without
 * elastic distortion the warp runs in fixed point (see affineWarp.ts).
 */
export function augmentImage(
  src: Uint8Array,
  out: Uint8Array,
  rows: number,
  cols: number,
  random: () => number,
  options: AugmentOptions = {},
): void {
  const t = options.translate ?? 2;
  const angle = ((options.rotateDegrees ?? 10) * Math.PI) / 180;
  const sc = options.scale ?? 0.1;
  const elastic = options.elastic ?? 0;
  const theta = (random() * 2 - 1) * angle;
  const s = 1 + (random() * 2 - 1) * sc;
  const tx = (random() * 2 - 1) * t;
  const ty = (random() * 2 - 1) * t;
  const cos = Math.cos(theta) / s;
  const sin = Math.sin(theta) / s;
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  if (elastic <= 0) {
    // sx = cos·(x − cx − tx) + sin·(y − cy − ty) + cx, sy = −sin·(x − cx − tx) + cos·(y − cy − ty) + cy.
    const [ox, oy] = [cx + tx, cy + ty];
    affineWarp(src, out, rows, cols, {
      a: cos,
      b: sin,
      c: cx - cos * ox - sin * oy,
      d: -sin,
      e: cos,
      f: cy + sin * ox - cos * oy,
    });
    return;
  }
  // Elastic: a coarse random displacement grid, bilinearly upsampled (smooth by construction).
  const field = new Float32Array((GRID + 1) * (GRID + 1) * 2);
  for (let i = 0; i < field.length; i++) field[i] = (random() * 2 - 1) * elastic;
  // Only a sample point whose 2×2 neighbourhood touches the digit's bounding box can read a
  // non-zero pixel; MNIST digits fill ~20×20 of 28×28, so most points are known zeros.
  const box = nonZeroBox(src, rows, cols);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const gx = (x / (cols - 1)) * GRID;
      const gy = (y / (rows - 1)) * GRID;
      const dx = x - cx - tx + sampleField(field, gx, gy, 0);
      const dy = y - cy - ty + sampleField(field, gx, gy, 1);
      const sx = cos * dx + sin * dy + cx;
      const sy = -sin * dx + cos * dy + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const blank = x0 + 1 < box.left || x0 > box.right || y0 + 1 < box.top || y0 > box.bottom;
      out[y * cols + x] = blank ? 0 : bilinear(src, rows, cols, sx, sy);
    }
  }
}

/** The smallest rectangle holding every non-zero pixel (empty: left > right). */
function nonZeroBox(src: Uint8Array, rows: number, cols: number) {
  const box = { left: cols, right: -1, top: rows, bottom: -1 };
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      if (src[y * cols + x] === 0) continue;
      if (x < box.left) box.left = x;
      if (x > box.right) box.right = x;
      if (y < box.top) box.top = y;
      box.bottom = y;
    }
  }
  return box;
}

function sampleField(field: Float32Array, gx: number, gy: number, c: number): number {
  const x0 = Math.min(GRID - 1, Math.floor(gx));
  const y0 = Math.min(GRID - 1, Math.floor(gy));
  const fx = gx - x0;
  const fy = gy - y0;
  const at = (x: number, y: number) => field[(y * (GRID + 1) + x) * 2 + c];
  return (
    at(x0, y0) * (1 - fx) * (1 - fy) +
    at(x0 + 1, y0) * fx * (1 - fy) +
    at(x0, y0 + 1) * (1 - fx) * fy +
    at(x0 + 1, y0 + 1) * fx * fy
  );
}

function pixel(src: Uint8Array, rows: number, cols: number, x: number, y: number): number {
  return x < 0 || y < 0 || x >= cols || y >= rows ? 0 : src[y * cols + x];
}

function bilinear(src: Uint8Array, rows: number, cols: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  let a: number;
  let b: number;
  let c: number;
  let d: number;
  if (x0 >= 0 && y0 >= 0 && x0 + 1 < cols && y0 + 1 < rows) {
    const o = y0 * cols + x0;
    a = src[o];
    b = src[o + 1];
    c = src[o + cols];
    d = src[o + cols + 1];
  } else {
    a = pixel(src, rows, cols, x0, y0);
    b = pixel(src, rows, cols, x0 + 1, y0);
    c = pixel(src, rows, cols, x0, y0 + 1);
    d = pixel(src, rows, cols, x0 + 1, y0 + 1);
  }
  return Math.round(a * (1 - fx) * (1 - fy) + b * fx * (1 - fy) + c * (1 - fx) * fy + d * fx * fy);
}
