// Building the sparse-rows (CSR) form of a batch of byte images, and its transpose (CSC).
// MNIST is ~80% zeros, mostly in long runs: 16 bytes are tested at once and only non-zero
// bytes are visited (lowest set bit of the lane mask), so the cost follows the non-zeros.

/** Non-zero bytes among n at `bytes`. */
export function countNonZeros(bytes: usize, n: i32): i32 {
  const zero = i8x16.splat(0);
  let count = 0;
  let i = 0;
  for (; i + 16 <= n; i += 16) count += popcnt<i32>(i8x16.bitmask(i8x16.ne(v128.load(bytes + <usize>i), zero)));
  for (; i < n; i++) count += i32(load<u8>(bytes + <usize>i) != 0);
  return count;
}

/**
 * CSR of rows×cols bytes: rowPtr (rows + 1), column index and value (byte·scale, rounded from
 * float64 like the TypeScript path) of each non-zero. Returns the number of non-zeros.
 */
export function sparseRowsFromBytes(rows: i32, cols: i32, bytes: usize, scale: f64, rowPtr: usize, idx: usize, val: usize): i32 {
  const zero = i8x16.splat(0);
  let p = 0;
  for (let r = 0; r < rows; r++) {
    store<i32>(rowPtr + (<usize>r << 2), p);
    const base = bytes + <usize>r * <usize>cols;
    let c = 0;
    for (; c + 16 <= cols; c += 16) {
      let mask = i8x16.bitmask(i8x16.ne(v128.load(base + <usize>c), zero));
      while (mask != 0) {
        const column = c + ctz<i32>(mask);
        store<i32>(idx + (<usize>p << 2), column);
        store<f32>(val + (<usize>p << 2), <f32>(<f64>load<u8>(base + <usize>column) * scale));
        p++;
        mask &= mask - 1;
      }
    }
    for (; c < cols; c++) {
      const byte = load<u8>(base + <usize>c);
      if (byte != 0) {
        store<i32>(idx + (<usize>p << 2), c);
        store<f32>(val + (<usize>p << 2), <f32>(<f64>byte * scale));
        p++;
      }
    }
  }
  store<i32>(rowPtr + (<usize>rows << 2), p);
  return p;
}

/** The CSC (colPtr, row index, value) of a CSR matrix; `cursor` is scratch of `cols` words. */
export function cscFromCsr(rows: i32, cols: i32, rowPtr: usize, idx: usize, val: usize,
  colPtr: usize, colIdx: usize, colVal: usize, cursor: usize): void {
  memory.fill(colPtr, 0, (<usize>cols + 1) << 2);
  const nnz = load<i32>(rowPtr + (<usize>rows << 2));
  for (let q = 0; q < nnz; q++) {
    const at = colPtr + ((<usize>load<i32>(idx + (<usize>q << 2)) + 1) << 2);
    store<i32>(at, load<i32>(at) + 1);
  }
  let sum = 0;
  for (let c = 0; c <= cols; c++) {
    sum += load<i32>(colPtr + (<usize>c << 2));
    store<i32>(colPtr + (<usize>c << 2), sum);
    if (c < cols) store<i32>(cursor + (<usize>c << 2), sum);
  }
  for (let r = 0; r < rows; r++) {
    const end = load<i32>(rowPtr + ((<usize>r + 1) << 2));
    for (let q = load<i32>(rowPtr + (<usize>r << 2)); q < end; q++) {
      const slot = cursor + (<usize>load<i32>(idx + (<usize>q << 2)) << 2);
      const dst = load<i32>(slot);
      store<i32>(slot, dst + 1);
      store<i32>(colIdx + (<usize>dst << 2), r);
      store<f32>(colVal + (<usize>dst << 2), load<f32>(val + (<usize>q << 2)));
    }
  }
}
