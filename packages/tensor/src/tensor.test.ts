import { afterAll, expect, it } from 'vitest';
import { fromArray } from './tensor.js';
import { testBackends } from './test-support/backends.js';

const { backends } = await testBackends();
afterAll(() => {
  for (const b of backends) b.backend.dispose();
});

it.each(backends.map((b) => [b.label, b.backend] as const))(
  'peek gives the values: a live view on %s where they are in host memory, else a copy',
  (_, backend) => {
    const t = fromArray(backend, [1, -2, 3.5, 7], [2, 2]);
    const seen = t.peek();
    expect([...seen]).toEqual([1, -2, 3.5, 7]);
    t.set([5, 6, 7, 8]);
    if (backend.name === 'cpu') {
      // The view follows the tensor (no copy was made)…
      expect([...seen]).toEqual([5, 6, 7, 8]);
      expect(seen.buffer.byteLength).toBeGreaterThan(seen.byteLength);
    } else {
      // …a copy does not.
      expect([...seen]).toEqual([1, -2, 3.5, 7]);
    }
    expect([...t.peek()]).toEqual([5, 6, 7, 8]);
    t.dispose();
  },
);
