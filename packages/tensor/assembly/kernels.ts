import { ADAM_GRAD_FLUSH, ADAM_STATE_FLUSH } from './numericLimits.generated';
// WebAssembly SIMD kernels for @sprout/tensor's cpu backend, compiled by AssemblyScript.
// Every pointer is a byte offset into the module's memory; the JS side owns allocation.
// Loops are written for V8's register allocator: at most ~12 live v128 values.

// acc + a·b rounded twice in every build.
@inline function addProduct(acc: v128, a: v128, b: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

// acc + a·b: one fused multiply-add where the module is built with relaxed SIMD (rounded once, so
// results differ in the last bits from the SIMD128 build, which rounds the product and the sum).
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return addProduct(acc, a, b);
}

/**
 * C[m×n] (+)= op(A)·B, with op(A)(i,p) at a + 4·(i·ars + p·acs) and B row-major k×n.
 * Tiles 4 rows × 8 columns in registers; the column panel of B (k×8) stays in L1
 * while every row of A streams past it.
 */
export function gemm(m: i32, n: i32, k: i32, a: usize, ars: i32, acs: i32, b: usize, c: usize, accumulate: i32): void {
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const c0 = c + (<usize>(i * n + j) << 2);
      const c1 = c0 + (<usize>n << 2);
      const c2 = c1 + (<usize>n << 2);
      const c3 = c2 + (<usize>n << 2);
      let x00 = zero, x01 = zero, x10 = zero, x11 = zero, x20 = zero, x21 = zero, x30 = zero, x31 = zero;
      if (accumulate) {
        x00 = v128.load(c0); x01 = v128.load(c0, 16);
        x10 = v128.load(c1); x11 = v128.load(c1, 16);
        x20 = v128.load(c2); x21 = v128.load(c2, 16);
        x30 = v128.load(c3); x31 = v128.load(c3, 16);
      }
      let ap = a + (<usize>(i * ars) << 2);
      const aStep = <usize>acs << 2;
      const rs = <usize>ars << 2;
      let bp = b + (<usize>j << 2);
      const bStep = <usize>n << 2;
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        let av = f32x4.splat(load<f32>(ap));
        x00 = madd(x00, av, b0); x01 = madd(x01, av, b1);
        av = f32x4.splat(load<f32>(ap + rs));
        x10 = madd(x10, av, b0); x11 = madd(x11, av, b1);
        av = f32x4.splat(load<f32>(ap + 2 * rs));
        x20 = madd(x20, av, b0); x21 = madd(x21, av, b1);
        av = f32x4.splat(load<f32>(ap + 3 * rs));
        x30 = madd(x30, av, b0); x31 = madd(x31, av, b1);
        ap += aStep;
        bp += bStep;
      }
      v128.store(c0, x00); v128.store(c0, x01, 16);
      v128.store(c1, x10); v128.store(c1, x11, 16);
      v128.store(c2, x20); v128.store(c2, x21, 16);
      v128.store(c3, x30); v128.store(c3, x31, 16);
    }
    for (; i < m; i++) {
      const c0 = c + (<usize>(i * n + j) << 2);
      let x0 = accumulate ? v128.load(c0) : zero;
      let x1 = accumulate ? v128.load(c0, 16) : zero;
      let ap = a + (<usize>(i * ars) << 2);
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const av = f32x4.splat(load<f32>(ap));
        x0 = madd(x0, av, v128.load(bp));
        x1 = madd(x1, av, v128.load(bp, 16));
        ap += <usize>acs << 2;
        bp += <usize>n << 2;
      }
      v128.store(c0, x0); v128.store(c0, x1, 16);
    }
  }
  // Remaining columns (n not a multiple of 8, e.g. the last 2 of MNIST's 10 classes): the same
  // 4-row tiles on partial vectors; the lanes past n are zero and never stored.
  const r = n - j;
  if (r > 0) {
    const rLo = min(r, 4), rHi = r - rLo;
    let i = 0;
    for (; i < m; i += 4) {
      const rows = min(m - i, 4);
      const c0 = c + (<usize>(i * n + j) << 2);
      const rowStep = <usize>n << 2;
      let x00 = zero, x01 = zero, x10 = zero, x11 = zero, x20 = zero, x21 = zero, x30 = zero, x31 = zero;
      if (accumulate) {
        x00 = loadPartial(c0, rLo); x01 = loadPartial(c0 + 16, rHi);
        if (rows > 1) { x10 = loadPartial(c0 + rowStep, rLo); x11 = loadPartial(c0 + rowStep + 16, rHi); }
        if (rows > 2) { x20 = loadPartial(c0 + 2 * rowStep, rLo); x21 = loadPartial(c0 + 2 * rowStep + 16, rHi); }
        if (rows > 3) { x30 = loadPartial(c0 + 3 * rowStep, rLo); x31 = loadPartial(c0 + 3 * rowStep + 16, rHi); }
      }
      let ap = a + (<usize>(i * ars) << 2);
      const aStep = <usize>acs << 2;
      const rs = <usize>ars << 2;
      let bp = b + (<usize>j << 2);
      const bStep = <usize>n << 2;
      for (let p = 0; p < k; p++) {
        const b0 = loadPartial(bp, rLo);
        const b1 = loadPartial(bp + 16, rHi);
        let av = f32x4.splat(load<f32>(ap));
        x00 = madd(x00, av, b0); x01 = madd(x01, av, b1);
        // Rows past m read a's memory but are never stored; clamp so they stay inside a.
        av = f32x4.splat(load<f32>(ap + (rows > 1 ? rs : 0)));
        x10 = madd(x10, av, b0); x11 = madd(x11, av, b1);
        av = f32x4.splat(load<f32>(ap + (rows > 2 ? 2 * rs : 0)));
        x20 = madd(x20, av, b0); x21 = madd(x21, av, b1);
        av = f32x4.splat(load<f32>(ap + (rows > 3 ? 3 * rs : 0)));
        x30 = madd(x30, av, b0); x31 = madd(x31, av, b1);
        ap += aStep;
        bp += bStep;
      }
      storePartial(c0, x00, rLo); storePartial(c0 + 16, x01, rHi);
      if (rows > 1) { storePartial(c0 + rowStep, x10, rLo); storePartial(c0 + rowStep + 16, x11, rHi); }
      if (rows > 2) { storePartial(c0 + 2 * rowStep, x20, rLo); storePartial(c0 + 2 * rowStep + 16, x21, rHi); }
      if (rows > 3) { storePartial(c0 + 3 * rowStep, x30, rLo); storePartial(c0 + 3 * rowStep + 16, x31, rHi); }
    }
  }
}

/** The first `count` (0–4) floats at p in the low lanes, zeros above: never reads past them. */
@inline function loadPartial(p: usize, count: i32): v128 {
  if (count >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  if (count > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores the low `count` (0–4) lanes of v at p. */
@inline function storePartial(p: usize, v: v128, count: i32): void {
  if (count >= 4) { v128.store(p, v); return; }
  if (count > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** dst[cols×rows] = srcᵀ, where src is rows×cols row-major (packing for A·Bᵀ). */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      store<f32>(dst + (<usize>(j * rows + i) << 2), load<f32>(src + (<usize>(i * cols + j) << 2)));
    }
  }
}

/**
 * Sparse rows times dense: out[r,:] (+)= Σ_{p in row r} val[p] · D[idx[p], :] over n columns of D
 * and out, whose rows are `ldm` floats apart (ldm > n when a thread takes some of the columns).
 * `nnz` (all the non-zeros) is for the JavaScript side's split rule; unused here.
 * With a CSR input this is X·W; with the CSC of X (rows = input features) it is Xᵀ·dZ.
 * Works on 24-column chunks so a chunk of the output row lives in registers: six accumulators
 * and the six values they take fit V8's 16 SIMD registers (at 32 columns it spilled one
 * accumulator to the stack, and the store-reload chain, not the arithmetic, set the pace).
 * The products are never fused here: the chain through each accumulator bounds this loop, and
 * an FMA's latency is longer than an add's.
 */
export function spmm(rows: i32, n: i32, ldm: i32, nnz: i32, rowPtr: usize, idx: usize, val: usize, d: usize, out: usize, accumulate: i32): void {
  const zero = f32x4.splat(0);
  const ld = <usize>ldm << 2;
  // Column chunks outermost: one chunk of d (its rows × 24 columns, 75 KB for MNIST's 784 rows)
  // stays in L2 while every output row takes from it, instead of whole rows of d (1.6 MB for a
  // 784×512 weight) streaming from L3 for every output row. Each output element sums its
  // non-zeros in order, whatever the chunking, so results do not depend on it.
  let j = 0;
  for (; j + 24 <= n; j += 24) {
    const dj = d + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      const p0 = load<i32>(rowPtr + (<usize>r << 2));
      const p1 = load<i32>(rowPtr + (<usize>(r + 1) << 2));
      const oj = out + <usize>r * ld + (<usize>j << 2);
      let x0 = zero, x1 = zero, x2 = zero, x3 = zero, x4 = zero, x5 = zero;
      if (accumulate) {
        x0 = v128.load(oj); x1 = v128.load(oj, 16); x2 = v128.load(oj, 32);
        x3 = v128.load(oj, 48); x4 = v128.load(oj, 64); x5 = v128.load(oj, 80);
      }
      let vp = val + (<usize>p0 << 2);
      let ip = idx + (<usize>p0 << 2);
      const end = val + (<usize>p1 << 2);
      while (vp < end) {
        const v = v128.load32_splat(vp);
        const dp = dj + <usize>load<i32>(ip) * ld;
        x0 = addProduct(x0, v, v128.load(dp)); x1 = addProduct(x1, v, v128.load(dp, 16));
        x2 = addProduct(x2, v, v128.load(dp, 32)); x3 = addProduct(x3, v, v128.load(dp, 48));
        x4 = addProduct(x4, v, v128.load(dp, 64)); x5 = addProduct(x5, v, v128.load(dp, 80));
        vp += 4;
        ip += 4;
      }
      v128.store(oj, x0); v128.store(oj, x1, 16); v128.store(oj, x2, 32);
      v128.store(oj, x3, 48); v128.store(oj, x4, 64); v128.store(oj, x5, 80);
    }
  }
  for (; j + 8 <= n; j += 8) {
    const dj = d + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      const p0 = load<i32>(rowPtr + (<usize>r << 2));
      const p1 = load<i32>(rowPtr + (<usize>(r + 1) << 2));
      const oj = out + <usize>r * ld + (<usize>j << 2);
      let x0 = accumulate ? v128.load(oj) : zero;
      let x1 = accumulate ? v128.load(oj, 16) : zero;
      for (let p = p0; p < p1; p++) {
        const v = v128.load32_splat(val + (<usize>p << 2));
        const dp = dj + <usize>load<i32>(idx + (<usize>p << 2)) * ld;
        x0 = addProduct(x0, v, v128.load(dp)); x1 = addProduct(x1, v, v128.load(dp, 16));
      }
      v128.store(oj, x0); v128.store(oj, x1, 16);
    }
  }
  for (let r = 0; r < rows && j < n; r++) {
    const p0 = load<i32>(rowPtr + (<usize>r << 2));
    const p1 = load<i32>(rowPtr + (<usize>(r + 1) << 2));
    const o = out + <usize>r * ld;
    for (let jj = j; jj < n; jj++) {
      let s: f32 = accumulate ? load<f32>(o + (<usize>jj << 2)) : 0;
      for (let p = p0; p < p1; p++) {
        s += load<f32>(val + (<usize>p << 2)) * load<f32>(d + <usize>load<i32>(idx + (<usize>p << 2)) * ld + (<usize>jj << 2));
      }
      store<f32>(o + (<usize>jj << 2), s);
    }
  }
}

/** out = max(0, x + bias) row-wise (bias has `cols` entries); fused to touch the activations once. */
export function biasRelu(rows: i32, cols: i32, x: usize, bias: usize, out: usize, relu: i32): void {
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * cols) << 2);
    const orow = out + (<usize>(r * cols) << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const off = <usize>j << 2;
      let s = f32x4.add(v128.load(xr + off), v128.load(bias + off));
      if (relu) s = f32x4.max(s, zero);
      v128.store(orow + off, s);
    }
    for (; j < cols; j++) {
      const off = <usize>j << 2;
      let s = load<f32>(xr + off) + load<f32>(bias + off);
      if (relu && s < 0) s = 0;
      store<f32>(orow + off, s);
    }
  }
}

/** out = dy where y > 0, else 0 (ReLU backward through its output). */
export function reluBackward(size: i32, dy: usize, y: usize, out: usize): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    const off = <usize>i << 2;
    const mask = f32x4.gt(v128.load(y + off), zero);
    v128.store(out + off, v128.and(v128.load(dy + off), mask));
  }
  for (; i < size; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, load<f32>(y + off) > 0 ? load<f32>(dy + off) : 0);
  }
}

// Adam's state and gradients are flushed to 0 below the cut-offs in src/numericLimits.ts (which
// says why), copied here by scripts/build-wasm.mjs.
const TINY: f32 = <f32>ADAM_STATE_FLUSH;
const TINY_GRAD: f32 = <f32>ADAM_GRAD_FLUSH;

@inline function flush(x: v128, tiny: v128): v128 {
  return v128.and(x, f32x4.ge(f32x4.abs(x), tiny));
}

@inline function flush1(x: f32, tiny: f32): f32 {
  return Mathf.abs(x) >= tiny ? x : 0;
}

/**
 * Fused Adam with per-entry bias correction. c1/c2 hold β1^t and β2^t for each entry's own
 * step count t, so entries added by growth (c = 1) are corrected exactly like a fresh Adam.
 */
export function adam(size: i32, p: usize, g: usize, m: usize, v: usize, c1: usize, c2: usize,
  lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32): void {
  const b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2);
  const ob1 = f32x4.splat(1 - beta1), ob2 = f32x4.splat(1 - beta2);
  const one = f32x4.splat(1), lrv = f32x4.splat(lr), epsv = f32x4.splat(eps), wd = f32x4.splat(lr * weightDecay);
  const tiny = f32x4.splat(TINY), tinyGrad = f32x4.splat(TINY_GRAD);
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    const o = <usize>i << 2;
    const gv = flush(v128.load(g + o), tinyGrad);
    let pv = v128.load(p + o);
    const mv = flush(f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(ob1, gv)), tiny);
    const vv = flush(f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(ob2, f32x4.mul(gv, gv))), tiny);
    const p1 = flush(f32x4.mul(v128.load(c1 + o), b1), tiny);
    const p2 = flush(f32x4.mul(v128.load(c2 + o), b2), tiny);
    const mhat = f32x4.div(mv, f32x4.sub(one, p1));
    const vhat = f32x4.div(vv, f32x4.sub(one, p2));
    pv = f32x4.sub(pv, f32x4.mul(wd, pv));
    pv = f32x4.sub(pv, f32x4.div(f32x4.mul(lrv, mhat), f32x4.add(f32x4.sqrt(vhat), epsv)));
    v128.store(p + o, pv); v128.store(m + o, mv); v128.store(v + o, vv);
    v128.store(c1 + o, p1); v128.store(c2 + o, p2);
  }
  for (; i < size; i++) {
    const o = <usize>i << 2;
    const gi = flush1(load<f32>(g + o), TINY_GRAD);
    let pi = load<f32>(p + o);
    const mi = flush1(beta1 * load<f32>(m + o) + (1 - beta1) * gi, TINY);
    const vi = flush1(beta2 * load<f32>(v + o) + (1 - beta2) * gi * gi, TINY);
    const p1 = flush1(load<f32>(c1 + o) * beta1, TINY);
    const p2 = flush1(load<f32>(c2 + o) * beta2, TINY);
    pi -= lr * weightDecay * pi;
    pi -= (lr * (mi / (1 - p1))) / (Mathf.sqrt(vi / (1 - p2)) + eps);
    store<f32>(p + o, pi); store<f32>(m + o, mi); store<f32>(v + o, vi);
    store<f32>(c1 + o, p1); store<f32>(c2 + o, p2);
  }
}

export { countNonZeros, cscFromCsr, sparseRowsFromBytes } from './sparseRows';
export { warpImages } from './warpImages';
