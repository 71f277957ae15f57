import { expect, it } from 'vitest';
import { EarlyStopping } from './earlyStopping.js';
import { ReduceLROnPlateau } from './reduceLrOnPlateau.js';

it('EarlyStopping fires after `patience` epochs without improvement', () => {
  const s = new EarlyStopping({ patience: 2, mode: 'max', minDelta: 0.001 });
  const acc = [0.9, 0.95, 0.9505, 0.94, 0.96, 0.959, 0.958];
  const stops = acc.map((a, e) => s.update(e, a).stop);
  expect(stops).toEqual([false, false, false, true, false, false, true]);
  expect(s.bestEpoch).toBe(4);
});

it('EarlyStopping in min mode and state round trip', () => {
  const s = new EarlyStopping({ patience: 1, mode: 'min' });
  expect(s.update(0, 1).improved).toBe(true);
  expect(s.update(1, 2).stop).toBe(true);
  const t = new EarlyStopping({ patience: 1, mode: 'min' });
  t.setState(s.state());
  expect(t.best).toBe(1);
});

it('ReduceLROnPlateau halves after patience and honours the floor', () => {
  const p = new ReduceLROnPlateau({ factor: 0.5, patience: 2, mode: 'min', minScale: 0.25 });
  expect([1, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95].map((v) => p.update(v))).toEqual([
    1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25,
  ]);
});
