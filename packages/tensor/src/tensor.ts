import type { Backend } from './backend.js';
import { ShapeError } from './errors.js';

/**
 * A float32, row-major tensor whose memory belongs to its backend.
 * Create one with {@link zeros} or {@link fromArray}; free it with {@link Tensor.dispose}.
 *
 * @example
 * ```ts
 * const t = fromArray(cpu, [1, 2, 3, 4], [2, 2]);
 * t.toArray(); // Float32Array [1, 2, 3, 4]
 * t.dispose();
 * ```
 */
export class Tensor {
  readonly size: number;
  private disposed = false;

  constructor(
    readonly backend: Backend,
    readonly shape: readonly number[],
  ) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError(`invalid shape [${shape.join(', ')}]`);
    }
    this.size = shape.reduce((a, b) => a * b, 1);
    backend.alloc(this);
  }

  /** Rows of a 2-D tensor (1 for a vector). */
  get rows(): number {
    return this.shape.length === 2 ? this.shape[0] : 1;
  }

  /** Columns of a 2-D tensor (length of a vector). */
  get cols(): number {
    return this.shape.length === 2 ? this.shape[1] : this.size;
  }

  /** Copies the values out (reads back from the GPU when needed). */
  toArray(): Float32Array {
    this.assertAlive();
    return this.backend.read(this);
  }

  /**
   * The values without a copy where the backend keeps them in host memory (the cpu backend: a
   * live view of its WebAssembly memory), else a copy (`toArray`). A view is valid only until the
   * next op or allocation on this backend: read it at once (hashing, writing a file), never keep it.
   */
  peek(): Float32Array {
    this.assertAlive();
    return this.backend.view?.(this) ?? this.backend.read(this);
  }

  /** Overwrites all values. */
  set(data: ArrayLike<number>): this {
    this.assertAlive();
    if (data.length !== this.size) {
      throw new ShapeError(`set: expected ${this.size} values for shape [${this.shape}], got ${data.length}`);
    }
    this.backend.write(this, data);
    return this;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Returns the memory to the backend; the tensor must not be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.backend.free(this);
  }

  /** @internal */
  assertAlive(): void {
    if (this.disposed) throw new Error('tensor used after dispose()');
  }
}

/** A new tensor of zeros (every new tensor starts at zero; this says so where it matters). */
export function zeros(backend: Backend, shape: readonly number[]): Tensor {
  return new Tensor(backend, shape);
}

/** A new tensor holding `data` (row-major). */
export function fromArray(backend: Backend, data: ArrayLike<number>, shape: readonly number[]): Tensor {
  return new Tensor(backend, shape).set(data);
}
