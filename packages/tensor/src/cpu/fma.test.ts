import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { matmul } from '../ops/matmul.js';
import { fromArray } from '../tensor.js';
import { CpuBackend } from './cpuBackend.js';
import { enableRelaxedSimd, relaxedSimdSupported } from './kernels.js';

// x = 1 + 2⁻²³: x·x = 1 + 2⁻²² + 2⁻⁴⁶ exactly. Rounded to float32 first (SIMD128), the 2⁻⁴⁶ is
// lost before the sum; fused (FMA), x·x − (1 + 2⁻²²) keeps it.
const x = 1 + 2 ** -23;
const rounded = Math.fround(1 + 2 ** -22);

function residual(backend: CpuBackend, n: number): Float32Array {
  const a = fromArray(backend, new Float32Array(n).fill(x), [n, 1]);
  const b = fromArray(backend, new Float32Array(n).fill(x), [1, n]);
  const out = fromArray(backend, new Float32Array(n * n).fill(-rounded), [n, n]);
  return matmul(a, b, { out, accumulate: true }).toArray();
}

/** Whether this CPU has a fused multiply-add instruction (null: cannot tell). */
function cpuHasFma(): boolean | null {
  if (process.arch === 'arm64') return true;
  try {
    return /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return null;
  }
}

it('the relaxed-SIMD build fuses multiply-add (rounds once); the SIMD128 build rounds twice', () => {
  expect(enableRelaxedSimd()).toBe(true);
  expect(relaxedSimdSupported()).toBe(true);
  const fused = new CpuBackend({ kernels: 'wasm-simd', threads: false, fma: true });
  const plain = new CpuBackend({ kernels: 'wasm-simd', threads: false, fma: false });
  // Where the CPU has FMA the backend must use it; where it has none (an x64 without FMA3) the
  // relaxed build would not fuse, so the backend loads SIMD128 and says so.
  if (cpuHasFma() !== null) expect(fused.kernels.fma).toBe(cpuHasFma());
  expect(fused.description.includes('FMA')).toBe(fused.kernels.fma);
  expect(plain.kernels.fma).toBe(false);
  // 13 columns: the 8-wide tiles and the partial-vector tail both.
  for (const n of [1, 13]) {
    expect([...new Set(residual(fused, n))]).toEqual([fused.kernels.fma ? 2 ** -46 : 0]);
    expect([...new Set(residual(plain, n))]).toEqual([0]);
  }
  fused.dispose();
  plain.dispose();
});

it('SPROUT_FMA=0 keeps the SIMD128 build', () => {
  enableRelaxedSimd();
  const previous = process.env.SPROUT_FMA;
  process.env.SPROUT_FMA = '0';
  try {
    const b = new CpuBackend({ kernels: 'wasm-simd', threads: false });
    expect(b.kernels.fma).toBe(false);
    expect(b.description).toBe('cpu (WebAssembly SIMD kernels, 1 thread)');
    b.dispose();
  } finally {
    if (previous === undefined) delete process.env.SPROUT_FMA;
    else process.env.SPROUT_FMA = previous;
  }
});
