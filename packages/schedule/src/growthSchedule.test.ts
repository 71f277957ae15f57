import { expect, it } from 'vitest';
import { growthSchedule } from './growthSchedule.js';

it('hits 128 at epoch 0 and 512 at growthEpochs, monotone, multiples of 32', () => {
  const w = growthSchedule({ initial: 128, final: 512, growthEpochs: 20 });
  expect(w(0)).toBe(128);
  expect(w(20)).toBe(512);
  expect(w(35)).toBe(512);
  let prev = 0;
  for (let e = 0; e <= 20; e++) {
    expect(w(e) % 32).toBe(0);
    expect(w(e)).toBeGreaterThanOrEqual(prev);
    prev = w(e);
  }
  expect(w(10)).toBe(320);
});

it('stepped mode grows in equal jumps', () => {
  const w = growthSchedule({ initial: 128, final: 512, growthEpochs: 8, mode: 'stepped', steps: 4 });
  expect([0, 1, 2, 3, 4, 6, 8].map(w)).toEqual([128, 128, 224, 224, 320, 416, 512]);
});

it('rejects shrinking schedules', () => {
  expect(() => growthSchedule({ initial: 512, final: 128, growthEpochs: 5 })).toThrow(RangeError);
});
