import { expect, it } from 'vitest';
import { constant, cosine, linearWarmup, oneCycle, stepDecay, warmupDecay } from './learningRate.js';

it("warmupDecay gives the original NumPy script's formula at the boundary epochs", () => {
  const lr = warmupDecay({ lr0: 1e-3, warmup: 5, decay: 0.5, decayPatience: 10 });
  expect(lr(0)).toBeCloseTo(2e-4, 12);
  expect(lr(4)).toBeCloseTo(1e-3, 12);
  expect(lr(5)).toBeCloseTo(1e-3, 12);
  expect(lr(15)).toBeCloseTo(5e-4, 12);
  expect(lr(25)).toBeCloseTo(2.5e-4, 12);
  expect(lr(10)).toBeCloseTo(1e-3 * 0.5 ** 0.5, 12);
});

it('stepDecay, cosine and constant', () => {
  expect(stepDecay(1, 10, 0.1)(9)).toBe(1);
  expect(stepDecay(1, 10, 0.1)(10)).toBeCloseTo(0.1);
  expect(cosine(1, 100)(0)).toBe(1);
  expect(cosine(1, 100)(50)).toBeCloseTo(0.5);
  expect(cosine(1, 100, 0.1)(200)).toBe(0.1);
  expect(constant(3)(99)).toBe(3);
});

it('linearWarmup composes with any schedule (per-batch warmup)', () => {
  const s = linearWarmup(100, cosine(1e-3, 1000));
  expect(s(0)).toBeCloseTo(cosine(1e-3, 1000)(100) / 100);
  expect(s(99)).toBeCloseTo(cosine(1e-3, 1000)(100));
  expect(s(500)).toBe(cosine(1e-3, 1000)(500));
});

it('oneCycle rises to lrMax at pctStart, falls to lrMax/(div·finalDiv), and is monotone on each side', () => {
  const s = oneCycle({ lrMax: 3e-3, total: 100, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 });
  expect(s(0)).toBeCloseTo(3e-3 / 25, 12);
  expect(s(30)).toBeCloseTo(3e-3, 12);
  expect(s(100)).toBeCloseTo(3e-3 / 25 / 1e4, 15);
  expect(s(1000)).toBeCloseTo(3e-3 / 25 / 1e4, 15);
  expect(s(65)).toBeCloseTo((3e-3 + 3e-3 / 25 / 1e4) / 2, 12); // half-way down the cosine
  for (let t = 0; t < 30; t += 0.5) expect(s(t + 0.5)).toBeGreaterThan(s(t));
  for (let t = 30; t < 100; t += 0.5) expect(s(t + 0.5)).toBeLessThan(s(t));
});
