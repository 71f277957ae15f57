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
   * Batch size for the next step: halve under `warn`/`critical` (not below `min`), grow by 25% back
   * towards `max` when well under budget (RSS < 60% of it), else keep.
   */
  adviseBatchSize(current: number, bounds: { min?: number; max?: number } = {}): number {
    const { min = 8, max = current } = bounds;
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
