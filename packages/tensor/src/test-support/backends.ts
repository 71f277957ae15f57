// Test-only: the backends the conformance suite runs on. Not exported from the package.
import type { Backend } from '../backend.js';
import { CpuBackend } from '../cpu/cpuBackend.js';
import { enableRelaxedSimd } from '../cpu/kernels.js';
import { createGpuBackend } from '../select.js';

export interface NamedBackend {
  label: string;
  backend: Backend;
}

/**
 * cpu (SIMD128), cpu (relaxed SIMD, FMA), cpu (TypeScript) and, where it can run, gpu (software
 * GL allowed for testing). Node 20 gets relaxed SIMD from its V8 flag; a Node without it fails here.
 */
export async function testBackends(): Promise<{ backends: NamedBackend[]; gpuSkipped: string | null }> {
  if (!enableRelaxedSimd()) throw new Error('this Node cannot run WebAssembly relaxed SIMD');
  const backends: NamedBackend[] = [
    { label: 'cpu/wasm-simd', backend: new CpuBackend({ kernels: 'wasm-simd', fma: false }) },
    { label: 'cpu/wasm-fma', backend: new CpuBackend({ kernels: 'wasm-simd', fma: true }) },
    { label: 'cpu/typescript', backend: new CpuBackend({ kernels: 'typescript' }) },
  ];
  let gpuSkipped: string | null = null;
  try {
    backends.push({ label: 'gpu', backend: await createGpuBackend({ allowSoftwareGl: true }) });
  } catch (error) {
    gpuSkipped = (error as Error).message;
    if (process.env.SPROUT_REQUIRE_GPU === '1') throw new Error(`SPROUT_REQUIRE_GPU=1 but ${gpuSkipped}`);
    console.warn(`[conformance] gpu backend SKIPPED: ${gpuSkipped}`);
  }
  return { backends, gpuSkipped };
}

/** Deterministic values in [-1, 1). */
export function randomValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Asserts |a − b| ≤ atol + rtol·|b| everywhere, naming the first bad index. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol = 1e-4,
  rtol = 1e-4,
): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= atol + rtol * Math.abs(expected[i]))) {
      throw new Error(`index ${i}: got ${actual[i]}, expected ${expected[i]} (|diff| ${diff})`);
    }
  }
}
