import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TuneState } from '@sprout/tune';
import { expect, it } from 'vitest';

// `sprout tune` end to end through the built binary and its worker processes, on a small slice of
// real MNIST (what the search does, not how well it finds).
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const space = {
  base: {
    trainLimit: 1500,
    devSize: 300,
    initialHidden: [16],
    hidden: [32],
    growthEpochs: 1,
    backend: 'cpu',
    lrSchedule: 'cosine',
    patience: 0,
  },
  search: {
    learningRate: { log: [0.002, 0.05] },
    dropout: { choice: [0, 0.3] },
    labelSmoothing: { choice: [0, 0.1] },
  },
  trials: 4,
  minEpochs: 1,
  maxEpochs: 4,
  reduction: 2,
  seed: 2,
};
const work = mkdtempSync(join(tmpdir(), 'sprout-tune-'));
const spaceFile = join(work, 'space.json');
writeFileSync(spaceFile, JSON.stringify(space));
const args = (out: string) => [bin, 'tune', '--space', spaceFile, '--out', out, '--workers', '1', '--json'];
const stateOf = (out: string): TuneState => JSON.parse(readFileSync(join(out, 'tune.json'), 'utf8'));
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

it('a tune killed (SIGKILL) mid-search and run again finishes exactly as an uninterrupted one, choosing on dev only', async () => {
  const straight = join(work, 'straight');
  const first = spawnSync(process.execPath, args(straight), { encoding: 'utf8' });
  expect(first.status, first.stderr).toBe(0);

  const killed = join(work, 'killed');
  const child = spawn(process.execPath, args(killed), { stdio: 'ignore' });
  // Kill the tuner while a later trial trains: after two trials finished their first rung.
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      try {
        const log = existsSync(join(killed, 'tune.json')) ? stateOf(killed).log : [];
        if (
          log.filter((l) => l.event.includes('rung 0 done')).length >= 2 &&
          log.at(-1)?.event.includes('to ')
        ) {
          clearInterval(poll);
          child.kill('SIGKILL'); // resolved on exit, below
        }
      } catch (error) {
        // tune.json is replaced atomically; a read can only fail before it exists.
        if (!(error instanceof SyntaxError)) reject(error);
      }
    }, 20);
    child.on('exit', () => {
      clearInterval(poll);
      resolve();
    });
  });
  const stopped = stateOf(killed);
  expect(stopped.chosen).toBeNull();
  expect(stopped.running.length).toBe(1);
  // Run again at once: the orphaned worker saves its checkpoint and lets go of its trial first.
  const again = spawnSync(process.execPath, args(killed), { encoding: 'utf8' });
  expect(again.status, again.stderr).toBe(0);
  const a = stateOf(straight);
  const b = stateOf(killed);
  expect(b.log.some((l) => l.event.startsWith('continued'))).toBe(true);
  // The same search: same scores at every rung, same choice, same test accuracy.
  expect(b.trials.map((t) => t.results)).toEqual(a.trials.map((t) => t.results));
  expect(b.trials.map((t) => t.curve)).toEqual(a.trials.map((t) => t.curve));
  expect(b.chosen?.trial).toBe(a.chosen?.trial);
  expect(b.test?.accuracy).toBe(a.test?.accuracy);
  expect(b.trials.map((t) => t.results.length).sort()).toEqual([1, 1, 2, 3]);

  for (const state of [a, b]) {
    // No trial ever held the test set; the choice came first, then one read of the test set.
    for (const t of state.trials) {
      expect(t.curve.every((p) => p.testAccuracy === null)).toBe(true);
      const metrics = json(join(t.dir, 'metrics.json'));
      expect(metrics.testAccuracy).toBeNull();
      expect(metrics.config.evaluateTest).toBe(false);
      expect(
        json(join(t.dir, 'history.json')).every((h: { testAccuracy: unknown }) => h.testAccuracy === null),
      ).toBe(true);
    }
    const chose = state.log.findIndex((l) => l.event.startsWith('chose trial'));
    const tested = state.log.findIndex((l) => l.event.startsWith('test set read'));
    expect(chose).toBeGreaterThan(0);
    expect(tested).toBe(chose + 1);
    expect(tested).toBe(state.log.length - 1);
    // Chosen: the best dev accuracy at the highest rung.
    const top = state.trials.filter((t) => t.results.length === 3);
    expect(top.map((t) => t.id)).toEqual([state.chosen?.trial]);
    // The tested model is the chosen trial's, evaluated on the whole test set.
    const evaluation = json(join(state.trials[state.chosen!.trial].dir, 'evaluation.json'));
    expect(evaluation.accuracy).toBe(state.test?.accuracy);
  }
  const summary = readFileSync(join(killed, 'summary.md'), 'utf8');
  expect(summary).toMatch(/0 of 4 trial curves carry a test accuracy/);
  expect(summary).toMatch(/Test set read once, afterwards/);
  expect(readFileSync(join(killed, 'curves.png')).subarray(1, 4).toString()).toBe('PNG');
  const printed = JSON.parse(again.stdout.trim().split('\n').at(-1)!);
  expect(printed.testAccuracy).toBe(b.test?.accuracy);
  expect(again.stderr).toMatch(/continuing the tune/);
  // Nothing left running or locked.
  for (const t of readdirSync(join(killed, 'trials')))
    expect(existsSync(join(killed, 'trials', t, '.sprout.lock'))).toBe(false);

  // A finished tune run again only reports; another space in the same directory is refused.
  const report = spawnSync(process.execPath, args(killed), { encoding: 'utf8' });
  expect(report.status).toBe(0);
  expect(report.stderr).toMatch(/is finished; its result again/);
  expect(stateOf(killed)).toEqual(b);
  writeFileSync(spaceFile, JSON.stringify({ ...space, trials: 5 }));
  const refused = spawnSync(process.execPath, args(killed), { encoding: 'utf8' });
  expect(refused.status).toBe(2);
  expect(refused.stderr.trim()).toMatch(
    /^sprout: error: --space: .*space.json differs from the space the tune in .* was started with/,
  );
  writeFileSync(spaceFile, JSON.stringify(space));
});

it('a bad space file is one line naming the file and the entry, exit 2', () => {
  const bad = join(work, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...space, search: { learningRat: { log: [0.001, 0.01] } } }));
  const r = spawnSync(process.execPath, [bin, 'tune', '--space', bad, '--out', join(work, 'bad')], {
    encoding: 'utf8',
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(`sprout: error: --space: ${bad}: search.learningRat is not a training option\n`);
  expect(existsSync(join(work, 'bad'))).toBe(false);
});

it('a search whose every trial fails says so with the first failure, exit 1, and chooses nothing', () => {
  const empty = mkdtempSync(join(tmpdir(), 'sprout-no-data-'));
  const file = join(work, 'no-data.json');
  writeFileSync(
    file,
    JSON.stringify({ ...space, base: { ...space.base, dataDir: empty }, trials: 2, maxEpochs: 1 }),
  );
  const out = join(work, 'no-data');
  const r = spawnSync(process.execPath, [bin, 'tune', '--space', file, '--out', out, '--workers', '1'], {
    encoding: 'utf8',
  });
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split('\n').at(-1)).toMatch(
    new RegExp(`^sprout: error: every trial failed \\(see ${out}/tune.json\\); the first: .*${empty}`),
  );
  const state = stateOf(out);
  expect(state.chosen).toBeNull();
  expect(state.test).toBeNull();
  expect(state.trials.every((t) => t.failure)).toBe(true);
});

it('SIGTERM to the whole process group (as `timeout` sends) stops the tune with checkpoints; no trial counts as failed', async () => {
  const out = join(work, 'group');
  const child = spawn(process.execPath, [bin, 'tune', '--space', spaceFile, '--out', out, '--workers', '2'], {
    stdio: 'ignore',
    detached: true,
  });
  const code = await new Promise<number | null>((resolve) => {
    const poll = setInterval(() => {
      try {
        const log = existsSync(join(out, 'tune.json')) ? stateOf(out).log : [];
        // Just as a later trial's worker starts (before it has its signal handlers, often).
        if (log.some((l) => /trial [2-9]: starts/.test(l.event))) {
          clearInterval(poll);
          process.kill(-child.pid!, 'SIGTERM');
        }
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
      }
    }, 10);
    child.on('exit', (exitCode) => {
      clearInterval(poll);
      resolve(exitCode);
    });
  });
  expect(code).toBe(143);
  const stopped = stateOf(out);
  expect(stopped.trials.filter((t) => t.failure)).toEqual([]);
  expect(stopped.running.length).toBeGreaterThan(0);
  const again = spawnSync(process.execPath, args(out), { encoding: 'utf8' });
  expect(again.status, again.stderr).toBe(0);
  expect(stateOf(out).trials.filter((t) => t.failure)).toEqual([]);
});

it('refuses an --out that is not empty and holds no tune (a training run, say)', () => {
  const out = mkdtempSync(join(tmpdir(), 'sprout-not-a-tune-'));
  writeFileSync(join(out, 'notes.txt'), 'mine');
  const r = spawnSync(process.execPath, args(out), { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(
    `sprout: error: ${out} is not empty and holds no tune (tune.json): give a new or empty --out\n`,
  );
  expect(readdirSync(out)).toEqual(['notes.txt']);
});
