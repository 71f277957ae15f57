import { expect, it } from 'vitest';
import { Heap } from './heap.js';

it('reuses freed blocks first-fit, coalesces neighbours and gives the tail back', () => {
  const heap = new Heap(null, 16);
  const a = heap.alloc(16);
  const b = heap.alloc(20); // rounds up to 32 words
  const c = heap.alloc(16);
  expect([a, b, c]).toEqual([16, 32, 64]);
  heap.release(b, 20);
  expect(heap.alloc(32)).toBe(b); // the hole is reused
  heap.release(a, 16);
  heap.release(b, 32); // merges with a's block: one 48-word hole at 16
  expect(heap.alloc(48)).toBe(a);
  heap.release(a, 48);
  heap.release(c, 16); // coalesces with the hole and returns everything to the top
  expect(heap.alloc(80)).toBe(16);
});

it('grows its memory and keeps the contents', () => {
  const heap = new Heap(null, 16);
  const a = heap.alloc(4);
  heap.f32[a] = 1.5;
  heap.alloc(1 << 20); // beyond the initial 1 MiB
  expect(heap.f32[a]).toBe(1.5);
  expect(heap.capacityWords).toBeGreaterThanOrEqual((1 << 20) + 32);
});
