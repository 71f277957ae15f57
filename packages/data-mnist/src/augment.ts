import { affineWarp, type InkBox, inkBox } from './affineWarp.js';

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
/** Values of an elastic displacement field: (GRID + 1)² grid points × 2 directions. */
const FIELD_VALUES = (GRID + 1) * (GRID + 1) * 2;

/**
 * Numbers (float64) in one image's drawn transform ({@link drawAugmentation}): a kind (0 affine,
 * 1 elastic), then for affine the map a…f (see affineWarp.ts), for elastic cos, sin, tx, ty and
 * the displacement field (float32 values, widened).
 */
export function augmentRecordLength(options: AugmentOptions = {}): number {
  return (options.elastic ?? 0) > 0 ? 5 + FIELD_VALUES : 7;
}

/**
 * Draws one image's random transform from `random` into `record[at…]`
 * ({@link augmentRecordLength} numbers), consuming the stream exactly as {@link augmentImage}
 * does; {@link applyAugmentation} (or the cpu backend's warp kernel) then warps with it. Drawing
 * in order on one thread and warping anywhere gives the same bytes.
 */
export function drawAugmentation(
  random: () => number,
  options: AugmentOptions,
  rows: number,
  cols: number,
  record: Float64Array,
  at = 0,
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
    // Written entry by entry: an array per image was ~7 MB of garbage an epoch.
    const ox = cx + tx;
    const oy = cy + ty;
    record[at] = 0;
    record[at + 1] = cos;
    record[at + 2] = sin;
    record[at + 3] = cx - cos * ox - sin * oy;
    record[at + 4] = -sin;
    record[at + 5] = cos;
    record[at + 6] = cy + sin * ox - cos * oy;
    return;
  }
  record[at] = 1;
  record[at + 1] = cos;
  record[at + 2] = sin;
  record[at + 3] = tx;
  record[at + 4] = ty;
  // The field is float32, as it always was: its values are rounded once, here.
  for (let i = 0; i < FIELD_VALUES; i++) record[at + 5 + i] = Math.fround((random() * 2 - 1) * elastic);
}

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
  const record = new Float64Array(augmentRecordLength(options));
  drawAugmentation(random, options, rows, cols, record);
  applyAugmentation(src, out, rows, cols, record, 0, srcAt, outAt, ink);
}

/** Warps one image with the transform drawn into `record[at…]` by {@link drawAugmentation}. */
export function applyAugmentation(
  src: Uint8Array,
  out: Uint8Array,
  rows: number,
  cols: number,
  record: Float64Array,
  at = 0,
  srcAt = 0,
  outAt = 0,
  ink?: InkBox,
): void {
  if (record[at] === 0) {
    const [a, b, c, d, e, f] = record.subarray(at + 1, at + 7);
    affineWarp(src, out, rows, cols, { a, b, c, d, e, f }, srcAt, outAt, ink);
    return;
  }
  const [cos, sin, tx, ty] = record.subarray(at + 1, at + 5);
  const field = record.subarray(at + 5, at + 5 + FIELD_VALUES);
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  // Elastic: a coarse random displacement grid, bilinearly upsampled (smooth by construction).
  const { x0s, fxs } = gridTable(cols);
  const { x0s: y0s, fxs: fys } = gridTable(rows);
  // Source pixels outside the ink box are 0: a sample whose four neighbours all lie outside it is
  // exactly 0 (the same sum of zero terms), so it is written without reading them.
  const box = ink ?? inkBox(src, rows, cols, srcAt);
  for (let y = 0; y < rows; y++) {
    const gy0 = y0s[y];
    const fy = fys[y];
    for (let x = 0; x < cols; x++) {
      const gx0 = x0s[x];
      const fx = fxs[x];
      // The same products, in the same order, as a per-pixel bilinear lookup of the grid.
      const i00 = (gy0 * (GRID + 1) + gx0) * 2;
      const i10 = i00 + 2;
      const i01 = i00 + (GRID + 1) * 2;
      const i11 = i01 + 2;
      const fieldX =
        field[i00] * (1 - fx) * (1 - fy) +
        field[i10] * fx * (1 - fy) +
        field[i01] * (1 - fx) * fy +
        field[i11] * fx * fy;
      const fieldY =
        field[i00 + 1] * (1 - fx) * (1 - fy) +
        field[i10 + 1] * fx * (1 - fy) +
        field[i01 + 1] * (1 - fx) * fy +
        field[i11 + 1] * fx * fy;
      const dx = x - cx - tx + fieldX;
      const dy = y - cy - ty + fieldY;
      const sx = cos * dx + sin * dy + cx;
      const sy = -sin * dx + cos * dy + cy;
      const sx0 = Math.floor(sx);
      const sy0 = Math.floor(sy);
      out[outAt + y * cols + x] =
        sx0 + 1 < box.left || sx0 > box.right || sy0 + 1 < box.top || sy0 > box.bottom
          ? 0
          : bilinear(src, srcAt, rows, cols, sx, sy);
    }
  }
}

/** Per output column (or row): the grid cell it falls in and its position within it, by size. */
const gridTables = new Map<number, { x0s: Int32Array; fxs: Float64Array }>();
function gridTable(size: number) {
  let table = gridTables.get(size);
  if (!table) {
    const x0s = new Int32Array(size);
    const fxs = new Float64Array(size);
    for (let x = 0; x < size; x++) {
      const g = (x / (size - 1)) * GRID;
      x0s[x] = Math.min(GRID - 1, Math.floor(g));
      fxs[x] = g - x0s[x];
    }
    table = { x0s, fxs };
    gridTables.set(size, table);
  }
  return table;
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
