import type { AdamStep, Backend, BatchLabels } from '../backend.js';
import { GpuContextLostError } from '../errors.js';
import type { LossSums, LossTotals } from '../lossSums.js';
import { SparseRows } from '../sparseRows.js';
import { Tensor } from '../tensor.js';
import type { GpuInstance, GpuJsModule, GpuKernel, GpuTexture } from './gpuJsTypes.js';
import * as src from './kernelSources.js';
import { type GpuStorage, renderInto, type TextureCounter } from './renderTarget.js';

export type { GpuJsModule } from './gpuJsTypes.js';

/**
 * What a gpu backend has moved and run so far: host → GPU uploads, GPU → host read-backs (each a
 * synchronisation: the host waits for every queued kernel), and kernel launches. Take two
 * snapshots and subtract them to count a step ({@link GpuBackend.counters}).
 */
export interface GpuCounters {
  /** Kernels run (each one draw call). */
  launches: number;
  /** Host arrays sent to the GPU: tensor values written by the host, batches, labels. */
  uploads: number;
  uploadBytes: number;
  /** Values read back to the host: a tensor's `toArray`, the loss, argmax, sums of squares. */
  readbacks: number;
  readbackBytes: number;
  /** Textures made for tensors (a step after the first should make none). */
  texturesAllocated: number;
}

/** gpu.js settings that differ between kernels: packed ones return four values a texel. */
interface KernelSettings {
  returnType?: 'Array(4)';
}
const PACKED: KernelSettings = { returnType: 'Array(4)' };

/**
 * Products of at least this many multiply-adds run packed (see packedMatmul): below it the three
 * extra launches (~40 µs each on an H200) cost more than the faster product saves.
 */
const PACKED_MIN_MACS = 1 << 20;

/** WebGL's error code for a lost context (WEBGL_lose_context; not a constant of the context). */
const CONTEXT_LOST_WEBGL = 0x9242;

/** Packed scratch tensors kept (least recently used disposed beyond it). */
const MAX_PACKED_SCRATCH = 16;

/** A batch on the GPU, dense: skipping zeros does not pay off in a fragment shader. */
interface GpuBatch {
  dense: Tensor;
  /** Images and labels as uploaded together (rows × (cols + 1)), when the batch has labels. */
  staging: Tensor | null;
  /** The labels as one row, copied out of `staging`. */
  labels: Tensor | null;
  /** The host values of the upload, reused batch after batch. */
  host: Float32Array;
}

/** A LossSums on the GPU: per-row sums (rows' capacity × 2) and what they were flushed into. */
interface GpuLossSums {
  sums: Tensor | null;
  /** Rows added into `sums` since it was last read. */
  rows: number;
  /** Totals read back when a bigger batch needed a bigger `sums`. */
  flushed: LossTotals;
}

/** A tensor argument of a kernel, or a value passed as is (numbers, gpu.js inputs). */
type Arg = { tensor: Tensor } | number | { input: unknown; size: number[] };

/**
 * The gpu.js backend: WebGL in browsers, headless-gl in Node. Values stay on the GPU between
 * ops, each tensor in a texture of its own that is allocated once and rendered into by every op
 * that writes the tensor; only `read`, the loss, argmax and sumSquares read back, and host values
 * are uploaded once, when an op first needs them.
 */
export class GpuBackend implements Backend {
  readonly name = 'gpu' as const;
  private kernels = new Map<string, GpuKernel>();
  private live = new Set<GpuStorage>();
  /** Each live tensor's storage. */
  private readonly tensors = new WeakMap<Tensor, GpuStorage>();
  /** Each sparse batch, kept dense. */
  private readonly batches = new WeakMap<SparseRows, GpuBatch>();
  private readonly lossSums = new WeakMap<LossSums, GpuLossSums>();
  private textures: TextureCounter = { allocated: 0 };
  private readonly counts = { launches: 0, uploads: 0, uploadBytes: 0, readbacks: 0, readbackBytes: 0 };

  /** Scratch tensors of the packed (four values a texel) products, by role and shape: made once. */
  private readonly packed = new Map<string, Tensor>();

  constructor(
    private readonly gpujs: GpuJsModule,
    private readonly gpu: GpuInstance,
    readonly description: string,
  ) {
    gpu.addNativeFunction(src.MAD4_NAME, src.mad4Source, {
      returnType: 'Array(4)',
      argumentTypes: {
        acc: 'Array(4)',
        a: 'Array(4)',
        b0: 'Array(4)',
        b1: 'Array(4)',
        b2: 'Array(4)',
        b3: 'Array(4)',
      },
    });
  }

  /** Compiled kernels (for tests that check nothing is compiled per step). */
  get kernelCount(): number {
    return this.kernels.size;
  }

  /** Textures made for tensors so far (for tests that check a step makes none). */
  get texturesAllocated(): number {
    return this.textures.allocated;
  }

  /** Values read back from the GPU so far (for tests that check a step reads only its loss). */
  get readbackCount(): number {
    return this.counts.readbacks;
  }

  /** Uploads, read-backs and launches so far (a snapshot; subtract two to count a step). */
  counters(): GpuCounters {
    return { ...this.counts, texturesAllocated: this.textures.allocated };
  }

  /** Textures held by live tensors (for tests that check nothing leaks). */
  get textureCount(): number {
    let n = 0;
    for (const s of this.live) n += +!!s.front + +!!s.back;
    return n;
  }

  /** Storage shaped like `t` (its texture is made when an op first writes it; zeros till then). */
  alloc(t: Tensor): void {
    const s: GpuStorage = { rows: t.rows, cols: t.cols, front: null, back: null, host: null };
    this.live.add(s);
    this.tensors.set(t, s);
  }

  free(t: Tensor): void {
    const s = this.tensors.get(t);
    if (s) this.release(s);
    this.tensors.delete(t);
  }

  private release(s: GpuStorage): void {
    s.front?.delete();
    s.back?.delete();
    s.front = s.back = s.host = null;
    this.live.delete(s);
  }

  write(t: Tensor, data: ArrayLike<number>): void {
    // Uploaded when an op first reads it, into the texture the tensor already has.
    this.storage(t).host = Float32Array.from(data);
  }

  read(t: Tensor): Float32Array {
    const s = this.storage(t);
    if (s.host) return s.host.slice();
    if (!s.front) return new Float32Array(t.size);
    this.countReadback(t.size);
    const values = flatten(s.front.toArray(), t.size);
    this.checkContext(); // after the read: it waits for the GPU, which is when a loss shows
    return values;
  }

  matmul(a: Tensor, b: Tensor, out: Tensor, transA: boolean, transB: boolean, accumulate: boolean): void {
    const k = transA ? a.rows : a.cols;
    if (out.rows * out.cols * k >= PACKED_MIN_MACS) {
      this.packedMatmul(a, b, out, transA, transB, accumulate, k);
      return;
    }
    const args: Arg[] = [{ tensor: a }, { tensor: b }];
    if (accumulate) args.push({ tensor: out });
    this.run(
      out,
      `mm${+transA}${+transB}${+accumulate}`,
      src.matmulSource(transA, transB, accumulate),
      { k },
      args,
    );
  }

  /**
   * out (+)= op(a)·op(b) four values a texel: op(a) and op(b) packed (transposing as they go), the
   * product, then unpacked into `out`. Three more launches than the plain product, which pays from
   * ~a million multiply-adds (the MLP's big products are 50–400 times that).
   */
  private packedMatmul(
    a: Tensor,
    b: Tensor,
    out: Tensor,
    transA: boolean,
    transB: boolean,
    accumulate: boolean,
    k: number,
  ): void {
    const [m, n] = [out.rows, out.cols];
    const k4 = Math.ceil(k / 4);
    const n4 = Math.ceil(n / 4);
    const pa = this.scratch('a', m, k4);
    const pb = this.scratch('b', 4 * k4, n4);
    const po = this.scratch('out', m, n4);
    this.run(pa, `pack${+transA}`, src.packSource(transA), { rows: m, cols: k }, [{ tensor: a }], PACKED);
    this.run(pb, `pack${+transB}`, src.packSource(transB), { rows: k, cols: n }, [{ tensor: b }], PACKED);
    this.run(po, 'mm4', src.matmul4Source, { k4 }, [{ tensor: pa }, { tensor: pb }], PACKED);
    const args: Arg[] = [{ tensor: po }];
    if (accumulate) args.push({ tensor: out });
    this.run(out, `unpack${+accumulate}`, src.unpackSource(accumulate), {}, args);
  }

  /**
   * The packed scratch tensor of this role and shape, most recently used last. A training step
   * uses ~6 (two big products), evaluation 3 more; shapes left behind by growth are disposed once
   * more than {@link MAX_PACKED_SCRATCH} are held, so their textures do not pile up.
   */
  private scratch(role: string, rows: number, cols: number): Tensor {
    const key = `${role}:${rows}x${cols}`;
    let t = this.packed.get(key);
    if (t) this.packed.delete(key);
    else t = new Tensor(this, [rows, cols]);
    this.packed.set(key, t);
    if (this.packed.size > MAX_PACKED_SCRATCH) {
      const [oldest, stale] = this.packed.entries().next().value as [string, Tensor];
      this.packed.delete(oldest);
      stale.dispose();
    }
    return t;
  }

  sparseMatmul(x: SparseRows, w: Tensor, out: Tensor): void {
    this.matmul(this.denseOf(x), w, out, false, false, false);
  }

  sparseTransposeMatmul(x: SparseRows, d: Tensor, out: Tensor, accumulate: boolean): void {
    this.matmul(this.denseOf(x), d, out, true, false, accumulate);
  }

  addBias(x: Tensor, bias: Tensor, out: Tensor, relu: boolean): void {
    this.run(out, `bias${+relu}`, src.addBiasSource(relu), {}, [{ tensor: x }, { tensor: bias }]);
  }

  relu(x: Tensor, out: Tensor): void {
    this.run(out, 'relu', src.reluSource, {}, [{ tensor: x }]);
  }

  reluBackward(dy: Tensor, y: Tensor, out: Tensor): void {
    this.run(out, 'reluBack', src.reluBackwardSource, {}, [{ tensor: dy }, { tensor: y }]);
  }

  linear(alpha: number, a: Tensor, beta: number, b: Tensor, out: Tensor): void {
    this.run(out, 'linear', src.linearSource, {}, [{ tensor: a }, { tensor: b }, alpha, beta]);
  }

  fill(t: Tensor, value: number): void {
    this.run(t, 'fill', src.fillSource, {}, [value]);
  }

  softmax(x: Tensor, out: Tensor): void {
    this.run(out, 'softmax', src.softmaxSource, { cols: x.cols }, [{ tensor: x }]);
  }

  softmaxCrossEntropy(
    logits: Tensor,
    labels: ArrayLike<number>,
    grad: Tensor | null,
    gradScale: number,
  ): number {
    const rows = logits.rows;
    if (rows === 0) return 0;
    const labelArg = this.inputArg(Float32Array.from({ length: rows }, (_, i) => labels[i]));
    if (grad) {
      this.run(grad, 'xentGrad', src.crossEntropyGradSource, { cols: logits.cols }, [
        { tensor: logits },
        labelArg,
        gradScale,
        0,
      ]);
    }
    const losses = this.compute(
      'xentLoss',
      src.crossEntropyLossSource,
      { cols: logits.cols },
      [rows, 1],
      [{ tensor: logits }, labelArg],
    );
    let total = 0;
    for (let i = 0; i < rows; i++) total += losses[i];
    return total / rows;
  }

  softmaxCrossEntropySums(
    logits: Tensor,
    labels: BatchLabels,
    grad: Tensor | null,
    gradScale: number,
    smoothing: number,
    sums: LossSums | null,
  ): void {
    const { rows, cols } = logits;
    if (rows === 0) return;
    const labelArg = this.labelArg(labels, rows);
    if (grad) {
      this.run(grad, 'xentGrad', src.crossEntropyGradSource, { cols }, [
        { tensor: logits },
        labelArg,
        gradScale,
        smoothing,
      ]);
    }
    if (!sums) return;
    const held = this.lossSumsOf(sums);
    if (!held.sums || held.sums.rows < rows) {
      // A bigger batch than the sums have rows for: keep what they hold, then grow them.
      this.addInto(held.flushed, this.readSums(held));
      held.sums?.dispose();
      held.sums = new Tensor(this, [rows, 2]);
    }
    this.run(held.sums, 'lossSums', src.lossSumsSource, { cols, rows }, [
      { tensor: logits },
      labelArg,
      { tensor: held.sums },
    ]);
    held.rows += rows;
  }

  readLossSums(sums: LossSums): LossTotals {
    const held = this.lossSumsOf(sums);
    const totals = this.addInto(held.flushed, this.readSums(held));
    held.flushed = { loss: 0, correct: 0, rows: 0 };
    return totals;
  }

  freeLossSums(sums: LossSums): void {
    this.lossSums.get(sums)?.sums?.dispose();
    this.lossSums.delete(sums);
  }

  private lossSumsOf(sums: LossSums): GpuLossSums {
    let held = this.lossSums.get(sums);
    if (!held) {
      held = { sums: null, rows: 0, flushed: { loss: 0, correct: 0, rows: 0 } };
      this.lossSums.set(sums, held);
    }
    return held;
  }

  /** The per-row sums added up on the host (one read-back), and zeroed on the GPU. */
  private readSums(held: GpuLossSums): LossTotals {
    const totals = { loss: 0, correct: 0, rows: held.rows };
    if (!held.sums || held.rows === 0) return totals;
    const values = this.read(held.sums);
    for (let i = 0; i < values.length; i += 2) {
      totals.loss += values[i];
      totals.correct += values[i + 1];
    }
    this.fill(held.sums, 0);
    held.rows = 0;
    return totals;
  }

  private addInto(into: LossTotals, more: LossTotals): LossTotals {
    into.loss += more.loss;
    into.correct += more.correct;
    into.rows += more.rows;
    return into;
  }

  /** The labels as a kernel argument: the batch's own row on the GPU, or uploaded now. */
  private labelArg(labels: BatchLabels, rows: number): Arg {
    if (labels instanceof SparseRows) {
      const onGpu = this.batches.get(labels)?.labels;
      if (onGpu) return { tensor: onGpu };
      if (!labels.labels) throw new Error('SparseRows has no labels: pass them to set()');
      labels = labels.labels;
    }
    return this.inputArg(Float32Array.from({ length: rows }, (_, i) => (labels as ArrayLike<number>)[i]));
  }

  columnSums(x: Tensor, out: Tensor, accumulate: boolean): void {
    const args: Arg[] = [{ tensor: x }];
    if (accumulate) args.push({ tensor: out });
    this.run(out, `colsum${+accumulate}`, src.columnSumsSource(accumulate), { rows: x.rows }, args);
  }

  argmaxRows(x: Tensor): Int32Array {
    const values = this.compute('argmax', src.argmaxSource, { cols: x.cols }, [x.rows, 1], [{ tensor: x }]);
    return Int32Array.from(values, (v) => Math.round(v));
  }

  sumSquares(x: Tensor): number {
    // Row sums of squares on the GPU, so only one value per row crosses to the host.
    const values = this.compute(
      'rowSumSq',
      src.rowSumSquaresSource,
      { cols: x.cols },
      [x.rows, 1],
      [{ tensor: x }],
    );
    let s = 0;
    for (let i = 0; i < values.length; i++) s += values[i];
    return s;
  }

  adam(p: Tensor, g: Tensor, m: Tensor, v: Tensor, c1: Tensor, c2: Tensor, s: AdamStep): void {
    this.run(m, 'adamM', src.adamMomentSource, {}, [{ tensor: m }, { tensor: g }, s.beta1, 0]);
    this.run(v, 'adamM', src.adamMomentSource, {}, [{ tensor: v }, { tensor: g }, s.beta2, 1]);
    this.run(c1, 'adamDecay', src.adamDecaySource, {}, [{ tensor: c1 }, s.beta1]);
    this.run(c2, 'adamDecay', src.adamDecaySource, {}, [{ tensor: c2 }, s.beta2]);
    this.run(p, 'adamP', src.adamParamSource, {}, [
      { tensor: p },
      { tensor: m },
      { tensor: v },
      { tensor: c1 },
      { tensor: c2 },
      s.lr,
      s.eps,
      s.weightDecay,
    ]);
  }

  setSparseRows(
    x: SparseRows,
    bytes: Uint8Array,
    rows: number,
    cols: number,
    scale: number,
    labels?: ArrayLike<number>,
  ): number {
    const b = this.batchFor(x, rows, cols, labels !== undefined);
    // With labels, one upload of rows × (cols + 1): each image's values, then its label.
    const width = b.staging ? cols + 1 : cols;
    const values = b.host;
    let nnz = 0;
    for (let r = 0; r < rows; r++) {
      const [from, to] = [r * cols, r * width];
      for (let c = 0; c < cols; c++) {
        const byte = bytes[from + c];
        if (byte !== 0) nnz++;
        values[to + c] = byte * scale;
      }
      if (labels) values[to + cols] = labels[r];
    }
    if (b.staging && b.labels) {
      this.storage(b.staging).host = values;
      this.run(b.dense, 'copy', src.copySource, {}, [{ tensor: b.staging }]);
      this.run(b.labels, 'column', src.columnSource, { col: cols }, [{ tensor: b.staging }]);
    } else {
      this.storage(b.dense).host = values; // uploaded when an op first reads it
    }
    return nnz;
  }

  /** The batch's GPU tensors for this shape, made again only when the shape changes. */
  private batchFor(x: SparseRows, rows: number, cols: number, withLabels: boolean): GpuBatch {
    const b = this.batches.get(x);
    if (b && b.dense.rows === rows && b.dense.cols === cols && (b.labels !== null) === withLabels) return b;
    if (b) this.freeSparseRows(x);
    const made: GpuBatch = {
      dense: new Tensor(this, [rows, cols]),
      staging: withLabels ? new Tensor(this, [rows, cols + 1]) : null,
      labels: withLabels ? new Tensor(this, [1, rows]) : null,
      host: new Float32Array(rows * (withLabels ? cols + 1 : cols)),
    };
    this.batches.set(x, made);
    return made;
  }

  freeSparseRows(x: SparseRows): void {
    const b = this.batches.get(x);
    for (const t of [b?.dense, b?.staging, b?.labels]) t?.dispose();
    this.batches.delete(x);
  }

  /** Packed scratch tensors held (for tests that check growth leaves none behind). */
  get packedScratchCount(): number {
    return this.packed.size;
  }

  dispose(): void {
    this.packed.clear();
    for (const s of [...this.live]) this.release(s);
    for (const kernel of this.kernels.values()) kernel.destroy?.(true);
    this.kernels.clear();
    this.gpu.destroy();
  }

  private denseOf(x: SparseRows): Tensor {
    const b = this.batches.get(x);
    if (!b) throw new Error('SparseRows has no batch: call set() first');
    return b.dense;
  }

  private storage(t: Tensor): GpuStorage {
    const s = this.tensors.get(t);
    if (!s) throw new Error('tensor is disposed or belongs to another backend');
    return s;
  }

  /**
   * Throws where the GL context is gone or out of memory: a lost context reads back zeros (or
   * stale values) without complaint, so every read-back asks first. (headless-gl never reports
   * a lost context; browsers and EGL drivers with robustness do.)
   */
  private checkContext(): void {
    let gl: WebGLRenderingContext | null = null;
    for (const kernel of this.kernels.values()) {
      gl = kernel.kernel.context;
      if (gl) break;
    }
    if (!gl) return;
    if (gl.isContextLost()) throw new GpuContextLostError('WebGL reports the context lost');
    const error = gl.getError();
    if (error === CONTEXT_LOST_WEBGL) throw new GpuContextLostError('CONTEXT_LOST_WEBGL');
    if (error === gl.OUT_OF_MEMORY)
      throw new GpuContextLostError('GL_OUT_OF_MEMORY: the GPU ran out of memory');
  }

  private countReadback(values: number): void {
    this.counts.readbacks++;
    this.counts.readbackBytes += values * 4;
  }

  private countUpload(values: number): void {
    this.counts.uploads++;
    this.counts.uploadBytes += values * 4;
  }

  private inputArg(values: Float32Array): Arg {
    this.countUpload(values.length);
    return { input: new this.gpujs.Input(values, [values.length, 1]), size: [values.length, 1] };
  }

  /** The tensor's texture, uploading pending host values first. */
  private texture(t: Tensor): GpuTexture | null {
    const s = this.storage(t);
    if (s.host) {
      this.countUpload(s.host.length);
      this.run(t, 'upload', src.copySource, {}, [
        { input: new this.gpujs.Input(s.host, [s.cols, s.rows]), size: [s.cols, s.rows] },
      ]);
    } else if (!s.front) {
      this.fill(t, 0);
    }
    return s.front;
  }

  /**
   * The kernel for this op, compiled on first use. Argument shapes are part of the key: gpu.js
   * bakes texture sizes into the shader and would read a differently sized texture wrongly.
   */
  private kernel(
    name: string,
    source: string,
    constants: Record<string, number>,
    output: number[],
    args: Arg[],
    settings: KernelSettings = {},
  ): GpuKernel {
    const shapes = args.map((a) =>
      typeof a === 'number'
        ? 'n'
        : 'tensor' in a
          ? `${a.tensor.cols}x${a.tensor.rows}`
          : `i${a.size.join('x')}`,
    );
    const key = `${name}|${JSON.stringify(constants)}|${output.join('x')}|${shapes.join(',')}|${settings.returnType ?? ''}`;
    let kernel = this.kernels.get(key);
    if (!kernel) {
      kernel = this.gpu.createKernel(source.trim(), {
        output,
        constants,
        pipeline: true,
        immutable: false,
        tactic: 'precision',
        precision: 'single',
        ...settings,
      });
      this.kernels.set(key, kernel);
    }
    return kernel;
  }

  private values(args: Arg[]): unknown[] {
    return args.map((a) => (typeof a === 'number' ? a : 'tensor' in a ? this.texture(a.tensor) : a.input));
  }

  /** Runs an op into `out`; the result stays on the GPU. */
  private run(
    out: Tensor,
    name: string,
    source: string,
    constants: Record<string, number>,
    args: Arg[],
    settings: KernelSettings = {},
  ): void {
    if (out.size === 0) return;
    const s = this.storage(out);
    const kernel = this.kernel(name, source, constants, [s.cols, s.rows], args, settings);
    const values = this.values(args);
    const readsOut = args.some((a) => typeof a === 'object' && 'tensor' in a && a.tensor === out);
    renderInto(kernel, values, s, readsOut, this.textures);
    this.counts.launches++;
    s.host = null;
  }

  /** Runs an op whose small result goes straight to the host (from the kernel's own texture). */
  private compute(
    name: string,
    source: string,
    constants: Record<string, number>,
    output: number[],
    args: Arg[],
  ): Float32Array {
    const kernel = this.kernel(name, source, constants, output, args);
    const result = kernel(...this.values(args));
    this.counts.launches++;
    this.countReadback(output[0] * output[1]);
    const values = flatten(result.toArray(), output[0] * output[1]);
    this.checkContext();
    return values;
  }
}

function flatten(raw: Float32Array | Float32Array[], size: number): Float32Array {
  if (raw instanceof Float32Array) return raw.slice(0, size);
  const cols = raw[0]?.length ?? 0;
  const out = new Float32Array(raw.length * cols);
  raw.forEach((row, r) => {
    out.set(row, r * cols);
  });
  return out.subarray(0, size);
}
