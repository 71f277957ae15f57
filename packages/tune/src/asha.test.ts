import { expect, it } from 'vitest';
import { Asha, rungEpochs } from './asha.js';

it('rungs are min·η^k below max, then max', () => {
  expect(rungEpochs({ trials: 9, minEpochs: 1, maxEpochs: 9, reduction: 3 })).toEqual([1, 3, 9]);
  expect(rungEpochs({ trials: 9, minEpochs: 5, maxEpochs: 45, reduction: 3 })).toEqual([5, 15, 45]);
  expect(rungEpochs({ trials: 9, minEpochs: 4, maxEpochs: 30, reduction: 3 })).toEqual([4, 12, 30]);
  expect(rungEpochs({ trials: 1, minEpochs: 7, maxEpochs: 7, reduction: 2 })).toEqual([7]);
});

it('runs 9 trials to rung 0, the best 3 to rung 1 and the best of those to rung 2, one worker at a time', () => {
  const asha = new Asha({ trials: 9, minEpochs: 1, maxEpochs: 9, reduction: 3 });
  // Trial i scores (i·7 mod 9)/10 at every rung: a fixed, shuffled order.
  const score = (trial: number) => ((trial * 7) % 9) / 10;
  const jobs: string[] = [];
  for (let job = asha.next(); job; job = asha.next()) {
    jobs.push(`${job.trial}@${job.epochs}`);
    asha.record(job.trial, { rung: job.rung, epochs: job.epochs, score: score(job.trial) });
  }
  expect(asha.finished).toBe(true);
  // Every trial runs 1 epoch; promotions happen as soon as a trial is in the top third.
  expect(jobs.filter((j) => j.endsWith('@1'))).toHaveLength(9);
  expect(jobs.filter((j) => j.endsWith('@3'))).toHaveLength(3);
  expect(jobs.filter((j) => j.endsWith('@9'))).toHaveLength(1);
  // Scores: trial 5 → 0.8 is the best, 1 → 0.7, 6 → 0.6.
  expect(asha.best()).toEqual({ trial: 5, rung: 2, score: 0.8 });
  expect(
    asha
      .atRung(1)
      .map((t) => t.trial)
      .sort(),
  ).toEqual([1, 5, 6]);
});

it('never hands out a running trial twice, and waits (null) when only running jobs could unlock work', () => {
  const asha = new Asha({ trials: 2, minEpochs: 2, maxEpochs: 4, reduction: 2 });
  const a = asha.next();
  const b = asha.next();
  expect([a?.trial, b?.trial]).toEqual([0, 1]);
  expect(asha.next()).toBeNull();
  expect(asha.finished).toBe(false);
  asha.record(0, { rung: 0, epochs: 2, score: 0.5 });
  // One of one finished at rung 0: floor(1/2) = 0 promotable yet.
  expect(asha.next()).toBeNull();
  asha.record(1, { rung: 0, epochs: 2, score: 0.9 });
  expect(asha.next()).toEqual({ trial: 1, rung: 1, epochs: 4 });
  expect(asha.next()).toBeNull();
  asha.record(1, { rung: 1, epochs: 4, score: 0.95 });
  expect(asha.finished).toBe(true);
  expect(asha.best()).toEqual({ trial: 1, rung: 1, score: 0.95 });
});

it('restores from recorded results and claimed jobs (a resumed tune) and goes on the same way', () => {
  const fresh = new Asha({ trials: 3, minEpochs: 1, maxEpochs: 3, reduction: 3 });
  const restored = new Asha({ trials: 3, minEpochs: 1, maxEpochs: 3, reduction: 3 });
  for (const asha of [fresh, restored]) {
    asha.next();
    asha.next();
  }
  fresh.record(0, { rung: 0, epochs: 1, score: 0.2 });
  restored.record(0, { rung: 0, epochs: 1, score: 0.2 });
  const again = new Asha({ trials: 3, minEpochs: 1, maxEpochs: 3, reduction: 3 });
  again.record(0, { rung: 0, epochs: 1, score: 0.2 });
  again.claim({ trial: 1, rung: 0, epochs: 1 });
  expect(again.next()).toEqual(fresh.next());
});

/** Runs a search with `workers` jobs at once, finishing them in an order drawn from `seed`. */
function simulate(promotion: 'asynchronous' | 'synchronous', workers: number, seed: number) {
  const asha = new Asha({ trials: 9, minEpochs: 1, maxEpochs: 9, reduction: 3, promotion });
  // Scores change with the rung, so a trial that leads at rung 0 need not lead at rung 1.
  const score = (trial: number, rung: number) => ((trial * 7 + rung * 4) % 9) / 10;
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const running: { trial: number; rung: number; epochs: number }[] = [];
  const promoted: string[] = [];
  while (true) {
    while (running.length < workers) {
      const job = asha.next();
      if (!job) break;
      if (job.rung > 0) promoted.push(`${job.trial}@${job.rung}`);
      running.push(job);
    }
    if (running.length === 0) break;
    const [job] = running.splice(Math.floor(random() * running.length), 1);
    asha.record(job.trial, { rung: job.rung, epochs: job.epochs, score: score(job.trial, job.rung) });
  }
  expect(asha.finished).toBe(true);
  return { best: asha.best(), promoted: promoted.sort() };
}

it('synchronous promotion chooses the same for any number of workers and any finishing order', () => {
  const one = simulate('synchronous', 1, 1);
  expect(one.promoted).toHaveLength(4); // 3 to rung 1, 1 to rung 2
  for (const workers of [2, 3, 9])
    for (const seed of [1, 2, 3, 4, 5]) expect(simulate('synchronous', workers, seed)).toEqual(one);
});

it('asynchronous promotion can depend on the finishing order (why synchronous exists)', () => {
  const outcomes = new Set<string>();
  for (const workers of [1, 3, 9])
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8])
      outcomes.add(JSON.stringify(simulate('asynchronous', workers, seed)));
  expect(outcomes.size).toBeGreaterThan(1);
});

it('synchronous promotion waits (null) while a trial of the rung is still running', () => {
  const asha = new Asha({ trials: 3, minEpochs: 1, maxEpochs: 3, reduction: 3, promotion: 'synchronous' });
  const jobs = [asha.next(), asha.next(), asha.next()];
  expect(jobs.map((j) => j?.rung)).toEqual([0, 0, 0]);
  asha.record(0, { rung: 0, epochs: 1, score: 0.9 });
  asha.record(1, { rung: 0, epochs: 1, score: 0.5 });
  // ASHA would promote trial 0 now; synchronous waits for trial 2.
  expect(asha.next()).toBeNull();
  asha.record(2, { rung: 0, epochs: 1, score: 0.95 });
  expect(asha.next()).toEqual({ trial: 2, rung: 1, epochs: 3 });
  expect(asha.next()).toBeNull();
});
