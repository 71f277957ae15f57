import type { AdamStep, Backend } from '../backend.js';
import type { SparseRows } from '../sparseRows.js';
import { Tensor } from '../tensor.js';
import * as src from './kernelSources.js';

// Minimal structural types for the parts of gpu.js used here (gpu.js is an optional dependency).
// Kernels run without pipeline mode, so they return values: 1-D a Float32Array, 2-D its rows.
type GpuKernel = ((...args: unknown[]) => Float32Array | Float32Array[]) & {
  destroy?: (removeCanvasReference?: boolean) => void;
};
export interface GpuJsModule {
  GPU: new (settings: Record<string, unknown>) => GpuInstance;
  Input: new (data: Float32Array, size: number[]) => unknown;
}
export interface GpuInstance {
  createKernel(source: string, settings: Record<string, unknown>): GpuKernel;
  destroy(): void;
  mode?: string;
}

interface GpuStorage {
  rows: number;
  cols: number;
  /** Values live on the host between ops (see `run`); null once freed. */
  host: Float32Array | null;
}

/**
 * The gpu.js backend: WebGL in browsers, headless-gl in Node. Each op uploads its inputs, runs
 * one kernel (compiled once per op and shape) and reads its output back.
 */
export class GpuBackend implements Backend {
  readonly name = 'gpu' as const;
  private kernels = new Map<string, GpuKernel>();
  private live = new Set<GpuStorage>();

  constructor(
    private readonly gpujs: GpuJsModule,
    private readonly gpu: GpuInstance,
    readonly description: string,
  ) {}

  /** Compiled kernels (one per op and shape; for tests that check nothing is compiled per call). */
  get kernelCount(): number {
    return this.kernels.size;
  }

  alloc(size: number): GpuStorage {
    const s: GpuStorage = { rows: 1, cols: size, host: new Float32Array(size) };
    this.live.add(s);
    return s;
  }

  free(storage: unknown): void {
    const s = storage as GpuStorage;
    s.host = null;
    this.live.delete(s);
  }

  write(t: Tensor, data: ArrayLike<number>): void {
    this.storage(t).host = Float32Array.from(data);
  }

  read(t: Tensor): Float32Array {
    return this.storage(t).host!.slice();
  }

  matmul(a: Tensor, b: Tensor, out: Tensor, transA: boolean, transB: boolean, accumulate: boolean): void {
    const k = transA ? a.rows : a.cols;
    const args = accumulate ? [this.arg(a), this.arg(b), this.arg(out)] : [this.arg(a), this.arg(b)];
    this.run(
      out,
      `mm${+transA}${+transB}${+accumulate}`,
      src.matmulSource(transA, transB, accumulate),
      { k },
      args,
    );
  }

  sparseMatmul(x: SparseRows, w: Tensor, out: Tensor): void {
    this.matmul(this.denseOf(x), w, out, false, false, false);
  }

  sparseTransposeMatmul(x: SparseRows, d: Tensor, out: Tensor, accumulate: boolean): void {
    this.matmul(this.denseOf(x), d, out, true, false, accumulate);
  }

  addBias(x: Tensor, bias: Tensor, out: Tensor, relu: boolean): void {
    this.run(out, `bias${+relu}`, src.addBiasSource(relu), {}, [this.arg(x), this.arg(bias)]);
  }

  relu(x: Tensor, out: Tensor): void {
    this.run(out, 'relu', src.reluSource, {}, [this.arg(x)]);
  }

  reluBackward(dy: Tensor, y: Tensor, out: Tensor): void {
    this.run(out, 'reluBack', src.reluBackwardSource, {}, [this.arg(dy), this.arg(y)]);
  }

  linear(alpha: number, a: Tensor, beta: number, b: Tensor, out: Tensor): void {
    this.run(out, 'linear', src.linearSource, {}, [this.arg(a), this.arg(b), alpha, beta]);
  }

  mul(a: Tensor, b: Tensor, out: Tensor): void {
    this.run(out, 'mul', src.mulSource, {}, [this.arg(a), this.arg(b)]);
  }

  fill(t: Tensor, value: number): void {
    this.storage(t).host = new Float32Array(t.size).fill(value);
  }

  softmax(x: Tensor, out: Tensor): void {
    this.run(out, 'softmax', src.softmaxSource, { cols: x.cols }, [this.arg(x)]);
  }

  softmaxCrossEntropy(
    logits: Tensor,
    labels: ArrayLike<number>,
    grad: Tensor | null,
    gradScale: number,
  ): number {
    const rows = logits.rows;
    const labelArg = new this.gpujs.Input(
      Float32Array.from({ length: rows }, (_, i) => labels[i]),
      [rows, 1],
    );
    if (grad) {
      this.run(grad, 'xentGrad', src.crossEntropyGradSource, { cols: logits.cols }, [
        this.arg(logits),
        labelArg,
        gradScale,
      ]);
    }
    const losses = this.kernel('xentLoss', src.crossEntropyLossSource, { cols: logits.cols }, [rows, 1]);
    const values = flatten(losses(this.arg(logits), labelArg));
    let total = 0;
    for (let i = 0; i < rows; i++) total += values[i];
    return rows === 0 ? 0 : total / rows;
  }

  columnSums(x: Tensor, out: Tensor, accumulate: boolean): void {
    this.run(out, `colsum${+accumulate}`, src.columnSumsSource(accumulate), { rows: x.rows }, [
      this.arg(x),
      this.arg(out),
    ]);
  }

  rowSums(x: Tensor, out: Tensor): void {
    this.run(out, 'rowsum', src.rowSumsSource, { cols: x.cols }, [this.arg(x)]);
  }

  argmaxRows(x: Tensor): Int32Array {
    const k = this.kernel('argmax', src.argmaxSource, { cols: x.cols }, [x.rows, 1]);
    const values = flatten(k(this.arg(x)));
    return Int32Array.from(values.subarray(0, x.rows), (v) => Math.round(v));
  }

  sumSquares(x: Tensor): number {
    const values = this.read(x);
    let s = 0;
    for (let i = 0; i < values.length; i++) s += values[i] * values[i];
    return s;
  }

  gatherRows(x: Tensor, index: ArrayLike<number>, out: Tensor): void {
    this.run(out, 'gatherRows', src.gatherRowsSource, {}, [this.arg(x), this.indexArg(index)]);
  }

  gatherColumns(x: Tensor, index: ArrayLike<number>, out: Tensor): void {
    this.run(out, 'gatherCols', src.gatherColumnsSource, {}, [this.arg(x), this.indexArg(index)]);
  }

  concatRows(a: Tensor, b: Tensor, out: Tensor): void {
    this.run(out, 'concatRows', src.concatRowsSource, { split: a.rows }, [this.arg(a), this.arg(b)]);
  }

  concatColumns(a: Tensor, b: Tensor, out: Tensor): void {
    this.run(out, 'concatCols', src.concatColumnsSource, { split: a.cols }, [this.arg(a), this.arg(b)]);
  }

  adam(p: Tensor, g: Tensor, m: Tensor, v: Tensor, c1: Tensor, c2: Tensor, s: AdamStep): void {
    this.run(m, 'adamM', src.adamMomentSource, {}, [this.arg(m), this.arg(g), s.beta1, 0]);
    this.run(v, 'adamM', src.adamMomentSource, {}, [this.arg(v), this.arg(g), s.beta2, 1]);
    this.linear(s.beta1, c1, 0, c1, c1);
    this.linear(s.beta2, c2, 0, c2, c2);
    this.run(p, 'adamP', src.adamParamSource, {}, [
      this.arg(p),
      this.arg(m),
      this.arg(v),
      this.arg(c1),
      this.arg(c2),
      s.lr,
      s.eps,
      s.weightDecay,
    ]);
  }

  setSparseRows(x: SparseRows, bytes: Uint8Array, rows: number, cols: number, scale: number): void {
    // The GPU multiplies densely; skipping zeros does not pay off in a fragment shader.
    let dense = x.storage as Tensor | null;
    if (!dense || dense.rows !== rows || dense.cols !== cols) {
      dense?.dispose();
      dense = new Tensor(this, [rows, cols]);
      x.storage = dense;
    }
    const values = new Float32Array(rows * cols);
    let nnz = 0;
    for (let i = 0; i < values.length; i++) {
      if (bytes[i] !== 0) nnz++;
      values[i] = bytes[i] * scale;
    }
    dense.set(values);
    x.nonZeros = nnz;
  }

  freeSparseRows(x: SparseRows): void {
    (x.storage as Tensor | null)?.dispose();
    x.storage = null;
  }

  dispose(): void {
    for (const s of [...this.live]) this.free(s);
    for (const k of this.kernels.values()) k.destroy?.(true);
    this.kernels.clear();
    this.gpu.destroy();
  }

  private storage(t: Tensor): GpuStorage {
    const s = t.storage as GpuStorage;
    s.rows = t.rows;
    s.cols = t.cols;
    return s;
  }

  private denseOf(x: SparseRows): Tensor {
    return x.storage as Tensor;
  }

  /** The tensor's values as a gpu.js input (uploaded by the kernel that uses them). */
  private arg(t: Tensor): unknown {
    const s = this.storage(t);
    return new this.gpujs.Input(s.host!, [s.cols, s.rows]);
  }

  private indexArg(index: ArrayLike<number>): unknown {
    return new this.gpujs.Input(Float32Array.from(index as ArrayLike<number>), [index.length, 1]);
  }

  private kernel(
    name: string,
    source: string,
    constants: Record<string, number>,
    output: number[],
  ): GpuKernel {
    const key = `${name}|${JSON.stringify(constants)}|${output.join('x')}`;
    let k = this.kernels.get(key);
    if (!k) {
      k = this.gpu.createKernel(source.trim(), {
        output,
        constants,
        pipeline: false,
        tactic: 'precision',
        precision: 'single',
      });
      this.kernels.set(key, k);
    }
    return k;
  }

  /**
   * Runs a kernel into `out` and reads the result back. Keeping results in textures between ops
   * (pipeline mode) gave wrong values with gpu.js 2.24 once many kernels shared the context
   * (a kernel read a stale texture for an in-place update), so correctness comes first here.
   */
  private run(
    out: Tensor,
    name: string,
    source: string,
    constants: Record<string, number>,
    args: unknown[],
  ): void {
    const s = this.storage(out);
    s.host = flatten(this.kernel(name, source, constants, [s.cols, s.rows])(...args)).slice(0, out.size);
  }
}

function flatten(raw: Float32Array | Float32Array[]): Float32Array {
  if (raw instanceof Float32Array) return raw;
  const cols = raw[0]?.length ?? 0;
  const out = new Float32Array(raw.length * cols);
  raw.forEach((row, r) => {
    out.set(row, r * cols);
  });
  return out;
}
