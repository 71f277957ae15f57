import { createCpuBackend, fromArray, SparseRows } from '@sprout/tensor';
import { afterAll, expect, it } from 'vitest';
import { ReLU } from './relu.js';

const backend = createCpuBackend();
afterAll(() => backend.dispose());

it('a ReLU layer on its own (not fused into a Dense) runs forward and backward', () => {
  const layer = new ReLU();
  const y = layer.forward(fromArray(backend, [-1, 2, 0, -3, 4, 0.5], [2, 3]));
  expect(Array.from(y.toArray())).toEqual([0, 2, 0, 0, 4, 0.5]);
  const dx = layer.backward(fromArray(backend, [1, 1, 1, 1, 1, 1], [2, 3]));
  expect(Array.from(dx.toArray())).toEqual([0, 1, 0, 0, 1, 1]);
});

it('refuses sparse rows, which only a Dense takes', () => {
  const x = new SparseRows(backend).set(new Uint8Array([0, 255, 0, 255]), 2, 2);
  expect(() => new ReLU().forward(x)).toThrow(/dense input/);
});
