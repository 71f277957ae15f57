import { MemoryLimitExceededError } from './errors.js';
import { type Budget, budgetBytes, parseBudget } from './parseBudget.js';
import { type MemorySample, memoryAvailableToProcess, type Sampler, sampleMemory } from './sampleMemory.js';

/** Memory use relative to the budget. */
export type MemoryLevel = 'ok' | 'warn' | 'critical';

/** One timeline entry: a sample, the caller's phase label and the level. */
export interface TimelineEntry extends MemorySample {
  phase: string;
  level: MemoryLevel;
  budget: number;
}

/** Options of {@link MemoryWatch}. */
export interface MemoryWatchOptions {
  /** "80%" of the memory available to the process (default), "1.5GB", or bytes. */
  budget?: string | number | Budget;
  /** Fraction of the budget where `warn` starts (default 0.85). */
  warnAt?: number;
  /** Fraction of the budget where `critical` starts (default 1). */
  criticalAt?: number;
  /** Sampling interval of {@link MemoryWatch.start} in ms (default 500). */
  intervalMs?: number;
  /** Keep at most this many timeline entries (oldest thinned; default 10,000). */
  maxTimeline?: number;
  sampler?: Sampler;
}

type Listener = (level: MemoryLevel, entry: TimelineEntry) => void;

/** The share of the memory left that one batch may take. */
const HEADROOM_SHARE = 0.25;

/**
 * Samples memory, compares RSS with a budget, emits level changes, advises batch sizes and keeps
 * a timeline for plots. The timer is unref'd and a sample costs microseconds.
 *
 * @example
 * ```ts
 * const watch = new MemoryWatch({ budget: '80%' });
 * watch.onLevel((level) => console.log('memory', level));
 * watch.start();
 * watch.setPhase('epoch 1 train');
 * const next = watch.adviseBatchSize(128); // smaller when memory is tight
 * ```
 */
export class MemoryWatch {
  level: MemoryLevel = 'ok';
  peakRss = 0;
  readonly timeline: TimelineEntry[] = [];
  private phase = '';
  private listeners: Listener[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private budget: Budget;
  private readonly sampler: Sampler;

  constructor(readonly options: MemoryWatchOptions = {}) {
    const b = options.budget ?? '80%';
    this.budget = typeof b === 'object' ? b : parseBudget(b);
    this.sampler = options.sampler ?? sampleMemory;
  }

  /** Labels the following samples (e.g. "epoch 3 train"). */
  setPhase(phase: string): void {
    this.phase = phase;
  }

  /** Called on every level change. Returns an unsubscribe function. */
  onLevel(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Takes a sample now, records it and updates the level. */
  check(): TimelineEntry {
    const s = this.sampler();
    const budget = budgetBytes(this.budget, memoryAvailableToProcess(s));
    const ratio = s.rss / budget;
    const level: MemoryLevel =
      ratio >= (this.options.criticalAt ?? 1)
        ? 'critical'
        : ratio >= (this.options.warnAt ?? 0.85)
          ? 'warn'
          : 'ok';
    const entry: TimelineEntry = { ...s, phase: this.phase, level, budget };
    this.peakRss = Math.max(this.peakRss, s.rss);
    this.record(entry);
    if (level !== this.level) {
      this.level = level;
      for (const l of this.listeners) l(level, entry);
    }
    return entry;
  }

  /** Samples every `intervalMs` on an unref'd timer (never keeps the process alive). */
  start(): void {
    if (this.timer) return;
    this.check();
    this.timer = setInterval(() => this.check(), this.options.intervalMs ?? 500);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Bytes this process can still use: the least of what the budget leaves above its RSS, what the
   * machine has available (MemAvailable: other processes count), and what the cgroup leaves.
   */
  headroom(entry: TimelineEntry = this.timeline[this.timeline.length - 1] ?? this.check()): number {
    const cgroupLeft = entry.cgroupLimit === null ? Number.POSITIVE_INFINITY : entry.cgroupLimit - entry.rss;
    return Math.max(0, Math.min(entry.budget - entry.rss, entry.systemAvailable, cgroupLeft));
  }

  /**
   * Batch size for the next step.
   *
   * With `bytesPerSample` (what one sample of a batch costs in memory), from the memory really left
   * ({@link headroom}): the largest of max, max/2, max/4… (not below `min`) whose batch takes at
   * most a quarter of it — so it drops at once to what fits, and grows back when memory returns,
   * but only when twice the larger batch would fit (no flapping).
   *
   * Without it (the older rule, kept for callers that cannot estimate): halve under
   * `warn`/`critical`, grow by 25% back towards `max` when RSS is under 60% of the budget.
   */
  adviseBatchSize(
    current: number,
    bounds: { min?: number; max?: number; bytesPerSample?: number } = {},
  ): number {
    const { min = 8, max = current, bytesPerSample } = bounds;
    if (bytesPerSample !== undefined && bytesPerSample > 0) {
      const room = this.headroom();
      const largestFitting = (share: number) => {
        let size = max;
        while (size / 2 >= min && size * bytesPerSample > share * room) size /= 2;
        return Math.max(min, Math.floor(size));
      };
      const fitting = largestFitting(HEADROOM_SHARE);
      if (fitting < current) return fitting; // shrink at once to what fits
      // Growing back needs room to spare, so a batch size does not flap at the edge.
      return Math.min(fitting, Math.max(current, largestFitting(HEADROOM_SHARE / 2)));
    }
    const last = this.timeline[this.timeline.length - 1];
    if (this.level !== 'ok') return Math.max(min, Math.floor(current / 2));
    if (last && last.rss < 0.6 * last.budget && current < max)
      return Math.min(max, Math.ceil(current * 1.25));
    return current;
  }

  /** Runs a garbage collection if the process was started with --expose-gc; returns whether it did. */
  requestGc(): boolean {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) return false;
    gc();
    return true;
  }

  /** Throws MemoryLimitExceededError at the critical level (call it where stopping is safe). */
  assertWithinBudget(): void {
    const entry = this.check();
    if (entry.level === 'critical') throw new MemoryLimitExceededError(entry.rss, entry.budget);
  }

  /** The timeline as JSON-safe objects. */
  toJSON(): TimelineEntry[] {
    return this.timeline;
  }

  /** The timeline as CSV with a header row. */
  toCSV(): string {
    const cols = [
      'time',
      'phase',
      'level',
      'rss',
      'heapUsed',
      'heapTotal',
      'external',
      'arrayBuffers',
      'budget',
      'systemAvailable',
    ] as const;
    const rows = this.timeline.map((e) =>
      cols.map((c) => (c === 'phase' ? JSON.stringify(e.phase) : String(e[c]))).join(','),
    );
    return `${cols.join(',')}\n${rows.join('\n')}\n`;
  }

  private record(entry: TimelineEntry): void {
    this.timeline.push(entry);
    const max = this.options.maxTimeline ?? 10_000;
    if (this.timeline.length > max) {
      // Keep the shape of a long run: drop every other entry of the older half.
      const half = Math.floor(this.timeline.length / 2);
      const thinned = this.timeline.slice(0, half).filter((_, i) => i % 2 === 0);
      this.timeline.splice(0, half, ...thinned);
    }
  }
}
