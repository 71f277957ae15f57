/**
 * Successive halving's bookkeeping. Asynchronous (ASHA, Li et al. 2020, the default): whenever a
 * worker is free, promote a trial that is in the top 1/η of its rung and not yet promoted
 * (highest rung first), else start a new trial at the lowest rung. Synchronous (the paper's
 * synchronous successive halving): a rung's top 1/η are promoted only once every trial of the
 * rung has reported, so what is promoted depends on the scores alone, never on timing. Either
 * way bad trials stop after `minEpochs` and only the best reach `maxEpochs`. Pure bookkeeping:
 * the caller runs the jobs and reports their scores.
 */
export interface AshaOptions {
  trials: number;
  minEpochs: number;
  maxEpochs: number;
  reduction: number;
  /** `asynchronous` when left out. */
  promotion?: 'asynchronous' | 'synchronous';
}

/** One finished rung of a trial. */
export interface RungResult {
  rung: number;
  epochs: number;
  /** Best dev accuracy up to this rung's last epoch. */
  score: number;
}

/** What to run next: trial `trial` (new, or resumed) trained up to `epochs`. */
export interface AshaJob {
  trial: number;
  rung: number;
  epochs: number;
}

/** The epochs at each rung: min, min·η, min·η², … below max, then max. */
export function rungEpochs({ minEpochs, maxEpochs, reduction }: AshaOptions): number[] {
  const rungs: number[] = [];
  for (let e = minEpochs; e < maxEpochs; e *= reduction) rungs.push(e);
  rungs.push(maxEpochs);
  return rungs;
}

export class Asha {
  readonly rungs: number[];
  /** Per trial, its finished rungs in order. */
  readonly results: RungResult[][] = [];
  /** Trials with a job running or handed out. */
  private readonly busy = new Set<number>();

  constructor(readonly options: AshaOptions) {
    this.rungs = rungEpochs(options);
  }

  /** Restores finished rungs (from a saved state) before any job is handed out. */
  record(trial: number, result: RungResult): void {
    (this.results[trial] ??= []).push(result);
    this.busy.delete(trial);
  }

  /** Marks a job as running again (resuming after a kill). */
  claim(job: AshaJob): void {
    this.busy.add(job.trial);
    this.results[job.trial] ??= [];
  }

  /** Trials started so far. */
  get started(): number {
    return this.results.length;
  }

  /** The next job (now counted as running), or null when none can start until a running job ends. */
  next(): AshaJob | null {
    const job = this.pick();
    if (job) {
      this.busy.add(job.trial);
      this.results[job.trial] ??= [];
    }
    return job;
  }

  /** No job running and none left to hand out. */
  get finished(): boolean {
    return this.busy.size === 0 && this.pick() === null;
  }

  private pick(): AshaJob | null {
    return this.options.promotion === 'synchronous' ? this.pickSynchronous() : this.pickAsynchronous();
  }

  private pickAsynchronous(): AshaJob | null {
    for (let k = this.rungs.length - 2; k >= 0; k--) {
      const done = this.atRung(k);
      const top = done.slice(0, Math.floor(done.length / this.options.reduction));
      const promote = top.find((t) => !this.busy.has(t.trial) && this.results[t.trial].length === k + 1);
      if (promote) return { trial: promote.trial, rung: k + 1, epochs: this.rungs[k + 1] };
    }
    if (this.started < this.options.trials) return { trial: this.started, rung: 0, epochs: this.rungs[0] };
    return null;
  }

  /**
   * Every trial first; then, rung by rung, once all trials that entered a rung have finished it,
   * its top 1/η (by score, ties to the earlier trial) go on to the next.
   */
  private pickSynchronous(): AshaJob | null {
    if (this.started < this.options.trials) return { trial: this.started, rung: 0, epochs: this.rungs[0] };
    let entered = this.options.trials;
    for (let k = 0; k < this.rungs.length - 1; k++) {
      const done = this.atRung(k);
      // Some trial of rung k is still running: nothing above it can be decided yet.
      if (done.length < entered) return null;
      const top = done.slice(0, Math.floor(done.length / this.options.reduction));
      const promote = top.find((t) => !this.busy.has(t.trial) && this.results[t.trial].length === k + 1);
      if (promote) return { trial: promote.trial, rung: k + 1, epochs: this.rungs[k + 1] };
      entered = top.length;
    }
    return null;
  }

  /** Trials that finished rung k, best first (ties: the earlier trial). */
  atRung(k: number): { trial: number; score: number }[] {
    return this.results
      .map((r, trial) => ({ trial, score: r?.[k]?.score }))
      .filter((t): t is { trial: number; score: number } => t.score !== undefined)
      .sort((a, b) => b.score - a.score || a.trial - b.trial);
  }

  /** The best trial of the highest rung any trial finished. */
  best(): { trial: number; rung: number; score: number } | null {
    for (let k = this.rungs.length - 1; k >= 0; k--) {
      const [first] = this.atRung(k);
      if (first) return { ...first, rung: k };
    }
    return null;
  }
}
