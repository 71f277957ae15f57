import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseSearchSpace } from './searchSpace.js';
import { rankedTrials, summaryTable, testSetStatement, writeTuneReport } from './tuneReport.js';
import type { TuneState } from './tuneState.js';

const space = parseSearchSpace({
  search: { learningRate: { log: [1e-3, 1e-2] } },
  trials: 3,
  minEpochs: 1,
  maxEpochs: 3,
});
const curve = (devs: number[]) =>
  devs.map((devAccuracy, i) => ({
    epoch: i + 1,
    devAccuracy,
    devLoss: 1 - devAccuracy,
    trainLoss: 0.5,
    testAccuracy: null,
  }));
const state: TuneState = {
  version: 1,
  spaceFile: '/x/space.json',
  space,
  rungs: [1, 3],
  trials: [
    {
      id: 0,
      params: { learningRate: 0.001 },
      dir: '/x/0',
      results: [{ rung: 0, epochs: 1, score: 0.9 }],
      curve: curve([0.9]),
    },
    {
      id: 1,
      params: { learningRate: 0.004 },
      dir: '/x/1',
      results: [
        { rung: 0, epochs: 1, score: 0.92 },
        { rung: 1, epochs: 3, score: 0.95 },
      ],
      curve: curve([0.92, 0.94, 0.95]),
    },
    {
      id: 2,
      params: { learningRate: 0.01 },
      dir: '/x/2',
      results: [{ rung: 0, epochs: 1, score: 0 }],
      curve: [],
      failure: 'training diverged',
    },
  ],
  running: [],
  log: [],
  chosen: { trial: 1, rung: 1, devAccuracy: 0.95, at: '2026-11-30T12:00:00.000Z' },
  test: { accuracy: 0.9512, loss: 0.2, at: '2026-11-30T12:00:01.000Z', modelFile: '/x/1/model.sprout' },
};

it('ranks by the highest rung reached, then by the score there', () => {
  expect(rankedTrials(state).map((t) => t.id)).toEqual([1, 0, 2]);
});

it('the table marks the chosen trial and failures; the test statement says when the test set was read', () => {
  const table = summaryTable(state).split('\n');
  expect(table[0]).toBe('| rank | trial | dev @1 ep | dev @3 ep | learningRate |');
  expect(table[2]).toBe('| 1 | 1 ★ | 92.00% | 95.00% | 0.004 |');
  expect(table[4]).toBe('| 3 | 2 (failed) | 0.00% |  | 0.01 |');
  const statement = testSetStatement(state);
  expect(statement).toMatch(/0 of 3 trial curves carry a test accuracy/);
  expect(statement).toMatch(/Chosen on dev accuracy only at 2026-11-30T12:00:00.000Z: trial 1/);
  expect(statement).toMatch(/Test set read once, afterwards, at 2026-11-30T12:00:01.000Z: 95.12%/);
});

it('writes summary.md and curves.png', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sprout-tune-report-'));
  await writeTuneReport(dir, state);
  const md = readFileSync(join(dir, 'summary.md'), 'utf8');
  expect(md).toContain('"learningRate": 0.004');
  expect(readFileSync(join(dir, 'curves.png')).subarray(1, 4).toString()).toBe('PNG');
  expect(readFileSync(join(dir, 'curves.svg'), 'utf8')).toContain('trial 1');
});
