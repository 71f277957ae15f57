/**
 * One linear memory for all cpu tensors: a WebAssembly.Memory when the SIMD kernels load, else a
 * plain ArrayBuffer. Offsets are in 4-byte words; blocks are 64-byte aligned (16 words) for SIMD
 * and cache lines. First-fit free list with coalescing: training allocates a few long-lived
 * buffers, so this stays tiny.
 */
const ALIGN = 16;
const PAGE_WORDS = 65536 / 4;

export class Heap {
  /** Views of the whole memory; replaced when it grows, so read them anew after any alloc. */
  f32!: Float32Array;
  i32!: Int32Array;
  private top: number;
  private free: { start: number; size: number }[] = [];
  private plain: ArrayBuffer | null = null;

  constructor(
    readonly memory: WebAssembly.Memory | null,
    reservedWords = ALIGN,
  ) {
    if (!memory) this.plain = new ArrayBuffer(1 << 20);
    this.top = Math.ceil(reservedWords / ALIGN) * ALIGN;
    this.refresh();
  }

  get buffer(): ArrayBuffer {
    return this.memory ? (this.memory.buffer as ArrayBuffer) : (this.plain as ArrayBuffer);
  }

  get capacityWords(): number {
    return this.buffer.byteLength / 4;
  }

  /** Words in live blocks (exact: what leak tests compare). */
  get usedWords(): number {
    return this.top - this.free.reduce((sum, block) => sum + block.size, 0);
  }

  alloc(words: number): number {
    const size = Math.max(ALIGN, Math.ceil(words / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i];
      if (block.size >= size) {
        const start = block.start;
        block.start += size;
        block.size -= size;
        if (block.size === 0) this.free.splice(i, 1);
        return start;
      }
    }
    const start = this.top;
    this.ensure(start + size);
    this.top += size;
    return start;
  }

  release(start: number, words: number): void {
    const size = Math.max(ALIGN, Math.ceil(words / ALIGN) * ALIGN);
    let i = 0;
    while (i < this.free.length && this.free[i].start < start) i++;
    const block = { start, size };
    this.free.splice(i, 0, block);
    // Coalesce with the next and the previous free block, then give a trailing block back to the top.
    const next = this.free[i + 1];
    if (next && block.start + block.size === next.start) {
      block.size += next.size;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.start + prev.size === block.start) {
      prev.size += block.size;
      this.free.splice(i, 1);
    }
    const last = this.free[this.free.length - 1];
    if (last && last.start + last.size === this.top) {
      this.top = last.start;
      this.free.pop();
    }
  }

  private ensure(words: number): void {
    if (words <= this.capacityWords) return;
    if (this.memory) {
      const need = Math.ceil((words - this.capacityWords) / PAGE_WORDS);
      // Grow geometrically so repeated growth stays amortised.
      const pages = Math.max(need, Math.ceil(this.capacityWords / PAGE_WORDS / 2));
      this.memory.grow(pages);
    } else {
      const next = new ArrayBuffer(Math.max(words * 4, this.plain!.byteLength * 2));
      new Uint8Array(next).set(new Uint8Array(this.plain!));
      this.plain = next;
    }
    this.refresh();
  }

  private refresh(): void {
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }
}
