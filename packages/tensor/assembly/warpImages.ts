// Augmentation warps of a batch of byte images, on the kernel threads: the same arithmetic, value
// for value, as @sprout/data-mnist's augmentImage (affineWarp.ts and augment.ts there), which draws
// each image's random transform on the caller's thread and hands it over as a parameter record.
// Integer steps are done in i32 as JavaScript's `| 0` does; floating point in f64 in the same
// order (WebAssembly never fuses or reorders scalar f64 operations).

const FRACTION_BITS: i32 = 16;
const ONE: f64 = 65536;
const GRID: i32 = 4;

/** Math.round as JavaScript defines it: the nearest integer, halves toward +∞. */
@inline function jsRound(x: f64): f64 {
  const f = Math.floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

// The first and last x with lo ≤ start + x·step < hi (as in affineWarp.ts).
function firstInside(start: i32, step: i32, lo: i32, hi: i32): i32 {
  if (step == 0) return start >= lo && start < hi ? 0 : 1 << 30;
  return <i32>Math.ceil(Math.min(<f64>(lo - start) / <f64>step, <f64>(hi - start) / <f64>step));
}

function lastInside(start: i32, step: i32, lo: i32, hi: i32): i32 {
  if (step == 0) return start >= lo && start < hi ? 1 << 30 : -(1 << 30);
  return <i32>Math.floor(Math.max(<f64>(lo - start) / <f64>step, <f64>(hi - start) / <f64>step));
}

/** The fixed-point bilinear affine warp of one image; `m` points at the six coefficients a…f. */
function affineImage(src: usize, out: usize, rows: i32, cols: i32, m: usize, top: i32, bottom: i32, left: i32, right: i32): void {
  const a = load<f64>(m);
  const b = load<f64>(m, 8);
  const c = load<f64>(m, 16);
  const d = load<f64>(m, 24);
  const e = load<f64>(m, 32);
  const f = load<f64>(m, 40);
  const stepX = <i32>jsRound(a * ONE);
  const stepY = <i32>jsRound(d * ONE);
  const lastX = cols - 1;
  const lastY = rows - 1;
  memory.fill(out, 0, <usize>(rows * cols));
  if (top > bottom) return;
  const one = <i32>ONE;
  const xLo = (left - 1) * one;
  const xHi = (right + 1) * one;
  const yLo = (top - 1) * one;
  const yHi = (bottom + 1) * one;
  for (let y = 0; y < rows; y++) {
    const sx0 = <i32>jsRound((b * <f64>y + c) * ONE);
    const sy0 = <i32>jsRound((e * <f64>y + f) * ONE);
    const from = max(0, max(firstInside(sx0, stepX, xLo, xHi) - 1, firstInside(sy0, stepY, yLo, yHi) - 1));
    const to = min(cols - 1, min(lastInside(sx0, stepX, xLo, xHi) + 1, lastInside(sy0, stepY, yLo, yHi) + 1));
    let sx = sx0 + from * stepX;
    let sy = sy0 + from * stepY;
    const row = out + <usize>(y * cols);
    for (let x = from; x <= to; x++) {
      const x0 = sx >> FRACTION_BITS;
      const y0 = sy >> FRACTION_BITS;
      let value = 0;
      if (x0 >= 0 && x0 < lastX && y0 >= 0 && y0 < lastY) {
        const fx = (sx >> 8) & 255;
        const fy = (sy >> 8) & 255;
        const o = src + <usize>(y0 * cols + x0);
        const upper = <i32>load<u8>(o) * (256 - fx) + <i32>load<u8>(o, 1) * fx;
        const lower = <i32>load<u8>(o + <usize>cols) * (256 - fx) + <i32>load<u8>(o + <usize>cols, 1) * fx;
        value = (upper * (256 - fy) + lower * fy + 32768) >> 16;
      } else if (x0 >= -1 && x0 <= lastX && y0 >= -1 && y0 <= lastY) {
        const fx = (sx >> 8) & 255;
        const fy = (sy >> 8) & 255;
        const o = <isize>src + <isize>(y0 * cols + x0);
        const inLeft = x0 >= 0;
        const inRight = x0 < lastX;
        const inTop = y0 >= 0;
        const inBottom = y0 < lastY;
        const upper =
          (inTop && inLeft ? <i32>load<u8>(o) : 0) * (256 - fx) + (inTop && inRight ? <i32>load<u8>(o + 1) : 0) * fx;
        const lower =
          (inBottom && inLeft ? <i32>load<u8>(o + cols) : 0) * (256 - fx) +
          (inBottom && inRight ? <i32>load<u8>(o + cols + 1) : 0) * fx;
        value = (upper * (256 - fy) + lower * fy + 32768) >> 16;
      }
      store<u8>(row + <usize>x, <u8>value);
      sx += stepX;
      sy += stepY;
    }
  }
}

@inline function pixel(src: usize, rows: i32, cols: i32, x: i32, y: i32): f64 {
  return x < 0 || y < 0 || x >= cols || y >= rows ? 0 : <f64>load<u8>(src + <usize>(y * cols + x));
}

@inline function bilinear(src: usize, rows: i32, cols: i32, x: f64, y: f64): f64 {
  const x0f = Math.floor(x);
  const y0f = Math.floor(y);
  const fx = x - x0f;
  const fy = y - y0f;
  const x0 = <i32>x0f;
  const y0 = <i32>y0f;
  if (x0 >= 0 && y0 >= 0 && x0 + 1 < cols && y0 + 1 < rows) {
    // All four neighbours inside (most samples): no bounds to test, the same sum.
    const o = src + <usize>(y0 * cols + x0);
    return jsRound(
      <f64>load<u8>(o) * (1 - fx) * (1 - fy) +
        <f64>load<u8>(o, 1) * fx * (1 - fy) +
        <f64>load<u8>(o + <usize>cols) * (1 - fx) * fy +
        <f64>load<u8>(o + <usize>cols, 1) * fx * fy,
    );
  }
  const v =
    pixel(src, rows, cols, x0, y0) * (1 - fx) * (1 - fy) +
    pixel(src, rows, cols, x0 + 1, y0) * fx * (1 - fy) +
    pixel(src, rows, cols, x0, y0 + 1) * (1 - fx) * fy +
    pixel(src, rows, cols, x0 + 1, y0 + 1) * fx * fy;
  return jsRound(v);
}

/**
 * The elastic warp of one image; `p` points at cos, sin, tx, ty and the (GRID + 1)² × 2
 * displacement field (float32 values, widened).
 */
function elasticImage(src: usize, out: usize, rows: i32, cols: i32, p: usize, top: i32, bottom: i32, left: i32, right: i32): void {
  const cos = load<f64>(p);
  const sin = load<f64>(p, 8);
  const tx = load<f64>(p, 16);
  const ty = load<f64>(p, 24);
  const field = p + 32;
  const cx = <f64>(cols - 1) / 2;
  const cy = <f64>(rows - 1) / 2;
  for (let y = 0; y < rows; y++) {
    const gy = (<f64>y / <f64>(rows - 1)) * <f64>GRID;
    const gy0 = min(GRID - 1, <i32>Math.floor(gy));
    const fy = gy - <f64>gy0;
    for (let x = 0; x < cols; x++) {
      const gx = (<f64>x / <f64>(cols - 1)) * <f64>GRID;
      const gx0 = min(GRID - 1, <i32>Math.floor(gx));
      const fx = gx - <f64>gx0;
      const i00 = (gy0 * (GRID + 1) + gx0) * 2;
      const i10 = i00 + 2;
      const i01 = i00 + (GRID + 1) * 2;
      const i11 = i01 + 2;
      const fieldX =
        load<f64>(field + (<usize>i00 << 3)) * (1 - fx) * (1 - fy) +
        load<f64>(field + (<usize>i10 << 3)) * fx * (1 - fy) +
        load<f64>(field + (<usize>i01 << 3)) * (1 - fx) * fy +
        load<f64>(field + (<usize>i11 << 3)) * fx * fy;
      const fieldY =
        load<f64>(field + (<usize>(i00 + 1) << 3)) * (1 - fx) * (1 - fy) +
        load<f64>(field + (<usize>(i10 + 1) << 3)) * fx * (1 - fy) +
        load<f64>(field + (<usize>(i01 + 1) << 3)) * (1 - fx) * fy +
        load<f64>(field + (<usize>(i11 + 1) << 3)) * fx * fy;
      const dx = <f64>x - cx - tx + fieldX;
      const dy = <f64>y - cy - ty + fieldY;
      const sx = cos * dx + sin * dy + cx;
      const sy = -sin * dx + cos * dy + cy;
      const sx0 = Math.floor(sx);
      const sy0 = Math.floor(sy);
      const value =
        sx0 + 1 < <f64>left || sx0 > <f64>right || sy0 + 1 < <f64>top || sy0 > <f64>bottom
          ? 0
          : bilinear(src, rows, cols, sx, sy);
      store<u8>(out + <usize>(y * cols + x), <u8>value);
    }
  }
}

/**
 * Warps `count` rows×cols byte images from `src` into `out` (both `pixels` = rows·cols bytes
 * apart). Image i's parameter record of f64 starts at params + i·stride·4 bytes (stride in
 * 4-byte words): kind (0 affine: a, b, c, d, e, f; 1 elastic: cos, sin, tx, ty, field); its ink
 * box is four i32 at boxes + 16·i (top, bottom, left, right).
 */
export function warpImages(count: i32, rows: i32, cols: i32, pixels: i32, src: usize, out: usize, params: usize, stride: i32, boxes: usize): void {
  for (let i = 0; i < count; i++) {
    const p = params + (<usize>(i * stride) << 2);
    const box = boxes + (<usize>i << 4);
    const top = load<i32>(box);
    const bottom = load<i32>(box, 4);
    const left = load<i32>(box, 8);
    const right = load<i32>(box, 12);
    const from = src + <usize>(i * pixels);
    const to = out + <usize>(i * pixels);
    if (load<f64>(p) == 0) affineImage(from, to, rows, cols, p + 8, top, bottom, left, right);
    else elasticImage(from, to, rows, cols, p + 8, top, bottom, left, right);
  }
}
