/** Where output pixel (x, y) samples the source: (a·x + b·y + c, d·x + e·y + f). */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

const FRACTION_BITS = 16;
const ONE = 1 << FRACTION_BITS;
let padded = new Uint8Array(0);

/**
 * Bilinear inverse warp of a byte image in integer arithmetic: source coordinates step along each
 * row in 16.16 fixed point and the four neighbours are weighted in 1/256ths, so a pixel is
 * within ±2 of the floating-point warp (tested) at ~2.3× its speed (7 vs 16 µs per 28×28 image
 * here) — augmentation was the largest cost of a training epoch at small widths. Outside pixels
 * read as 0 (a zero border is added).
 */
export function affineWarp(src: Uint8Array, out: Uint8Array, rows: number, cols: number, m: Affine): void {
  const w = cols + 2;
  const size = w * (rows + 2);
  if (padded.length < size) padded = new Uint8Array(size);
  const pad = padded;
  pad.fill(0, 0, size);
  for (let y = 0; y < rows; y++) {
    const from = y * cols;
    const to = (y + 1) * w + 1;
    for (let x = 0; x < cols; x++) pad[to + x] = src[from + x];
  }
  const stepX = Math.round(m.a * ONE) | 0;
  const stepY = Math.round(m.d * ONE) | 0;
  for (let y = 0; y < rows; y++) {
    let sx = Math.round((m.b * y + m.c) * ONE) | 0;
    let sy = Math.round((m.e * y + m.f) * ONE) | 0;
    const row = y * cols;
    for (let x = 0; x < cols; x++) {
      const x0 = sx >> FRACTION_BITS;
      const y0 = sy >> FRACTION_BITS;
      if (x0 < -1 || x0 >= cols || y0 < -1 || y0 >= rows) {
        out[row + x] = 0;
      } else {
        const fx = (sx >> 8) & 255;
        const fy = (sy >> 8) & 255;
        const o = (y0 + 1) * w + x0 + 1;
        const top = pad[o] * (256 - fx) + pad[o + 1] * fx;
        const bottom = pad[o + w] * (256 - fx) + pad[o + w + 1] * fx;
        out[row + x] = (top * (256 - fy) + bottom * fy + 32768) >> 16;
      }
      sx = (sx + stepX) | 0;
      sy = (sy + stepY) | 0;
    }
  }
}
