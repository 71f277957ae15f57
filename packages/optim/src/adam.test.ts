import { createCpuBackend, fromArray, type Tensor } from '@sprout/tensor';
import { describe, expect, it } from 'vitest';
import { Adam, AdamW } from './adam.js';
import { clipGradNorm } from './clipGradNorm.js';
import type { TrainableParameter } from './parameter.js';
import { SGD } from './sgd.js';

const backend = createCpuBackend();
const param = (name: string, values: number[], shape: number[]): TrainableParameter => ({
  name,
  value: fromArray(backend, values, shape),
  grad: fromArray(backend, new Array(values.length).fill(0), shape),
});
const close = (t: Tensor, expected: number[], tol = 1e-6) => {
  for (const [i, v] of t.toArray().entries()) expect(Math.abs(v - expected[i])).toBeLessThan(tol);
};

describe('Adam', () => {
  it('matches the textbook bias-corrected update (float64 reference) over 10 steps', () => {
    const p = param('w', [0.5, -0.3, 0.1], [3]);
    const adam = new Adam([p], { lr: 0.01 });
    const ref = [0.5, -0.3, 0.1];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    for (let t = 1; t <= 10; t++) {
      const g = ref.map((x, i) => 2 * x + i * 0.1 * Math.sin(t));
      p.grad.set(g);
      adam.step();
      for (let i = 0; i < 3; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] ** 2;
        ref[i] -= (0.01 * (m[i] / (1 - 0.9 ** t))) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8);
      }
    }
    close(p.value, ref, 1e-5);
  });

  it('after growth, new entries take exactly the step a fresh Adam takes; old ones keep their state', () => {
    const p = param('w', [1, 2, 3, 4], [2, 2]);
    const adam = new Adam([p], { lr: 0.1 });
    for (let t = 0; t < 5; t++) {
      p.grad.set([0.1, 0.2, 0.3, 0.4]);
      adam.step();
    }
    const before = Array.from(p.value.toArray());
    // Grow 2×2 → 2×3: column 2 is new.
    const oldShape = p.value.shape;
    p.value = fromArray(backend, [before[0], before[1], 7, before[2], before[3], 8], [2, 3]);
    p.grad = fromArray(backend, new Array(6).fill(0), [2, 3]);
    adam.grow(p, { rows: null, cols: Int32Array.from([0, 1, -1]) }, oldShape);
    p.grad.set([0.1, 0.2, 0.5, 0.3, 0.4, -0.5]);
    adam.step();
    const after = p.value.toArray();
    // A fresh Adam's first step moves each entry by lr·sign(g) (m̂ = g, v̂ = g²).
    expect(after[2]).toBeCloseTo(7 - 0.1, 5);
    expect(after[5]).toBeCloseTo(8 + 0.1, 5);
    // The new entries moved exactly as a fresh Adam moves the same values with the same gradients.
    const fresh = param('f', [7, 8], [2]);
    const freshAdam = new Adam([fresh], { lr: 0.1 });
    fresh.grad.set([0.5, -0.5]);
    freshAdam.step();
    expect([after[2], after[5]]).toEqual(Array.from(fresh.value.toArray()));
    // An old entry's 6th step is smaller than lr (its v̂ saw the same g for 6 steps: step = lr·m̂/√v̂ ≈ lr).
    expect(Math.abs(after[0] - before[0])).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(Math.abs(after[0] - before[0])).toBeGreaterThan(0.09);
  });

  it('AdamW decays weights decoupled from the gradient', () => {
    const p = param('w', [1], [1]);
    new AdamW([p], { lr: 0.1, weightDecay: 0.5 }).step();
    // zero gradient: only the decay acts: 1 − 0.1·0.5 = 0.95.
    close(p.value, [0.95]);
  });

  it('state round-trips for exact resume', () => {
    const p = param('w', [1, 2], [2]);
    const a = new Adam([p]);
    p.grad.set([1, -1]);
    a.step();
    const q = param('w', Array.from(p.value.toArray()), [2]);
    const b = new Adam([q]);
    b.loadState(structuredClone(a.state()));
    p.grad.set([0.5, 0.5]);
    q.grad.set([0.5, 0.5]);
    a.step();
    b.step();
    expect(q.value.toArray()).toEqual(p.value.toArray());
  });
});

describe('SGD and clipping', () => {
  it('momentum and Nesterov follow their formulas', () => {
    for (const nesterov of [false, true]) {
      const p = param('w', [1], [1]);
      const sgd = new SGD([p], { lr: 0.1, momentum: 0.9, nesterov });
      let ref = 1;
      let v = 0;
      for (let t = 0; t < 3; t++) {
        p.grad.set([ref]);
        const g = ref;
        sgd.step();
        v = 0.9 * v + g;
        ref -= 0.1 * (nesterov ? g + 0.9 * v : v);
      }
      close(p.value, [ref]);
    }
  });

  it('clipGradNorm scales gradients to the max norm and returns the norm', () => {
    const a = param('a', [0, 0], [2]);
    const b = param('b', [0], [1]);
    a.grad.set([3, 0]);
    b.grad.set([4]);
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5);
    close(a.grad, [0.6, 0]);
    close(b.grad, [0.8]);
  });
});
