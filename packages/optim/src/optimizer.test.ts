import { createCpuBackend, fromArray } from '@sprout/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import type { TrainableParameter } from './parameter.js';
import { SGD } from './sgd.js';

const backend = createCpuBackend();
afterAll(() => backend.dispose());

const param = (name: string, values: number[]): TrainableParameter => ({
  name,
  value: fromArray(backend, values, [values.length]),
  grad: fromArray(
    backend,
    values.map(() => 0.25),
    [values.length],
  ),
});

const makers: [string, (p: TrainableParameter[]) => Optimizer][] = [
  ['Adam', (p) => new Adam(p, { lr: 0.1 })],
  ['AdamW', (p) => new AdamW(p, { lr: 0.1 })],
  ['SGD with momentum', (p) => new SGD(p, { lr: 0.1, momentum: 0.9 })],
];

describe.each(makers)('%s through the Optimizer interface', (_, make) => {
  it('saves and restores its state generically: the restored copy steps exactly like the original', () => {
    const [p, q] = [param('w', [1, -2, 3]), param('w', [1, -2, 3])];
    const a = make([p]);
    a.step();
    a.step();
    const b = make([q]);
    q.value.set(p.value.toArray());
    const saved = structuredClone(a.state());
    expect(Object.keys(saved.slots.w)).toEqual([...a.slotNames]);
    b.loadState(saved);
    expect(b.steps).toBe(2);
    a.step();
    b.step();
    expect(q.value.toArray()).toEqual(p.value.toArray());
    a.dispose();
    b.dispose();
  });

  it('stateViews gives the same values as state, and on the cpu backend without copying them', () => {
    const p = param('w', [1, -2, 3]);
    const o = make([p]);
    o.step();
    const copies = o.state();
    const views = o.stateViews();
    expect(views).toEqual(copies);
    for (const name of o.slotNames) {
      const view = views.slots.w[name];
      // A view of the backend's memory: a bigger buffer than its own values.
      expect(view.buffer.byteLength).toBeGreaterThan(view.byteLength);
      expect(copies.slots.w[name].buffer.byteLength).toBe(copies.slots.w[name].byteLength);
    }
    o.dispose();
  });

  it('refuses state of another optimizer, a missing slot or a wrong size, changing nothing', () => {
    const p = param('w', [1, 2]);
    const o = make([p]);
    o.step();
    const before = structuredClone(o.state());
    const other = { ...before, kind: before.kind === 'sgd' ? 'adam' : 'sgd' };
    expect(() => o.loadState(other)).toThrow(/cannot load/);
    const missing = structuredClone(before);
    delete missing.slots.w[o.slotNames[0]];
    expect(() => o.loadState(missing)).toThrow(new RegExp(`w/${o.slotNames[0]} is missing`));
    const short = structuredClone(before);
    short.slots.w[o.slotNames.at(-1)!] = new Float32Array(1);
    expect(() => o.loadState({ ...short, step: 99 })).toThrow(/is 1 values, not 2/);
    expect(o.state()).toEqual(before);
    o.dispose();
  });
});
