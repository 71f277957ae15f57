import { affineWarp, type InkBox } from './affineWarp.js';

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
 * elastic distortion the warp runs in fixed point (see affineWarp.ts). The image may start at
 * `srcAt` in `src` and go to `outAt` in `out` (a set of images and a batch buffer, no views);
 * `ink`, the image's ink box if known (see affineWarp.ts), saves finding it.
 */
export function augmentImage(
  src: Uint8Array,
  out: Uint8Array,
  rows: number,
  cols: number,
  random: () => number,
  options: AugmentOptions = {},
  srcAt = 0,
  outAt = 0,
  ink?: InkBox,
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
    affineWarp(
      src,
      out,
      rows,
      cols,
      {
        a: cos,
        b: sin,
        c: cx - cos * ox - sin * oy,
        d: -sin,
        e: cos,
        f: cy + sin * ox - cos * oy,
      },
      srcAt,
      outAt,
      ink,
    );
    return;
  }
  // Elastic: a coarse random displacement grid, bilinearly upsampled (smooth by construction).
  const field = new Float32Array((GRID + 1) * (GRID + 1) * 2);
  for (let i = 0; i < field.length; i++) field[i] = (random() * 2 - 1) * elastic;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const gx = (x / (cols - 1)) * GRID;
      const gy = (y / (rows - 1)) * GRID;
      const dx = x - cx - tx + sampleField(field, gx, gy, 0);
      const dy = y - cy - ty + sampleField(field, gx, gy, 1);
      const sx = cos * dx + sin * dy + cx;
      const sy = -sin * dx + cos * dy + cy;
      out[outAt + y * cols + x] = bilinear(src, srcAt, rows, cols, sx, sy);
    }
  }
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

function bilinear(src: Uint8Array, srcAt: number, rows: number, cols: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx: number, yy: number) =>
    xx < 0 || yy < 0 || xx >= cols || yy >= rows ? 0 : src[srcAt + yy * cols + xx];
  const v =
    at(x0, y0) * (1 - fx) * (1 - fy) +
    at(x0 + 1, y0) * fx * (1 - fy) +
    at(x0, y0 + 1) * (1 - fx) * fy +
    at(x0 + 1, y0 + 1) * fx * fy;
  return Math.round(v);
}
