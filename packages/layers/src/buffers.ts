import { type Backend, Tensor } from '@sprout/tensor';

/**
 * Activation buffers reused across batches: one tensor per name, reallocated only when the
 * batch's shape changes (dynamic batch size, growth).
 */
export class Buffers {
  private map = new Map<string, Tensor>();

  constructor(private readonly backend: Backend) {}

  get(name: string, rows: number, cols: number): Tensor {
    const t = this.map.get(name);
    if (t && t.rows === rows && t.cols === cols && t.shape.length === 2) return t;
    t?.dispose();
    const next = new Tensor(this.backend, [rows, cols]);
    this.map.set(name, next);
    return next;
  }

  dispose(): void {
    for (const t of this.map.values()) t.dispose();
    this.map.clear();
  }
}
