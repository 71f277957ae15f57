import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCgroupMemoryLimit } from './cgroup.js';
import { MemoryBudgetError, MemoryLimitExceededError } from './errors.js';
import { MemoryWatch } from './memoryWatch.js';
import { parseBudget } from './parseBudget.js';
import { type MemorySample, sampleMemory } from './sampleMemory.js';

describe('sampleMemory', () => {
  it('reads real, positive figures consistent with process.memoryUsage()', () => {
    const s = sampleMemory();
    const u = process.memoryUsage();
    expect(s.rss).toBeGreaterThan(0);
    expect(Math.abs(s.rss - u.rss) / u.rss).toBeLessThan(0.2);
    expect(s.heapUsed).toBeLessThanOrEqual(s.heapTotal);
    expect(s.systemAvailable).toBeGreaterThan(0);
    expect(s.systemAvailable).toBeLessThanOrEqual(s.systemTotal);
  });
});

describe('parseBudget', () => {
  it('accepts percentages and sizes', () => {
    expect(parseBudget('80%')).toEqual({ kind: 'percent', percent: 80 });
    expect(parseBudget('1.5GB')).toEqual({ kind: 'bytes', bytes: 1.5e9 });
    expect(parseBudget('512MiB')).toEqual({ kind: 'bytes', bytes: 512 * 2 ** 20 });
    expect(parseBudget(1000)).toEqual({ kind: 'bytes', bytes: 1000 });
  });
  it.each(['120%', '-1GB', 'abc', '0%', '5 parsecs', ''])('rejects %j with a clear error', (bad) => {
    expect(() => parseBudget(bad)).toThrow(MemoryBudgetError);
    expect(() => parseBudget(bad)).toThrow(new RegExp(`"${bad.replace(/[%.]/g, '\\$&')}"`));
  });
});

describe('readCgroupMemoryLimit', () => {
  const root = mkdtempSync(join(tmpdir(), 'cg-'));
  it('reads cgroup v2 memory.max for this process and treats "max" as no limit', () => {
    mkdirSync(join(root, 'v2/job'), { recursive: true });
    writeFileSync(join(root, 'v2/job/memory.max'), '1073741824\n');
    expect(readCgroupMemoryLimit({ root: join(root, 'v2'), procSelfCgroup: '0::/job\n' })).toBe(2 ** 30);
    writeFileSync(join(root, 'v2/job/memory.max'), 'max\n');
    expect(readCgroupMemoryLimit({ root: join(root, 'v2'), procSelfCgroup: '0::/job\n' })).toBeNull();
  });
  it('reads cgroup v1 memory.limit_in_bytes and ignores the "unlimited" sentinel', () => {
    mkdirSync(join(root, 'v1/memory/docker/abc'), { recursive: true });
    writeFileSync(join(root, 'v1/memory/docker/abc/memory.limit_in_bytes'), '536870912');
    const self = '12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n';
    expect(readCgroupMemoryLimit({ root: join(root, 'v1'), procSelfCgroup: self })).toBe(2 ** 29);
    writeFileSync(join(root, 'v1/memory/docker/abc/memory.limit_in_bytes'), '9223372036854771712');
    expect(readCgroupMemoryLimit({ root: join(root, 'v1'), procSelfCgroup: self })).toBeNull();
  });
  it('returns null when there are no cgroup files', () => {
    expect(readCgroupMemoryLimit({ root: join(root, 'none'), procSelfCgroup: '0::/\n' })).toBeNull();
  });
});

describe('MemoryWatch with an injected sampler', () => {
  const fake = (rss: number[]): (() => MemorySample) => {
    let i = 0;
    return () => ({
      time: i,
      rss: rss[Math.min(i++, rss.length - 1)],
      heapUsed: 1,
      heapTotal: 2,
      external: 0,
      arrayBuffers: 0,
      systemTotal: 1000,
      systemAvailable: 500,
      cgroupLimit: 800, // the container is smaller than the machine: budgets use 800
    });
  };

  it('moves through ok → warn → critical → ok with events, against the cgroup-limited budget', () => {
    // 50% of min(1000, 800) = 400 bytes; warn at 340.
    const watch = new MemoryWatch({ budget: '50%', sampler: fake([100, 350, 410, 100]) });
    const events: string[] = [];
    watch.onLevel((level) => events.push(level));
    for (let i = 0; i < 4; i++) watch.check();
    expect(events).toEqual(['warn', 'critical', 'ok']);
    expect(watch.timeline.map((e) => e.budget)).toEqual([400, 400, 400, 400]);
    expect(watch.peakRss).toBe(410);
  });

  it('advises smaller batches under pressure and larger ones with room', () => {
    const watch = new MemoryWatch({ budget: 400, sampler: fake([100, 360, 100]) });
    watch.check();
    expect(watch.adviseBatchSize(64, { max: 128 })).toBe(80);
    watch.check();
    expect(watch.adviseBatchSize(128)).toBe(64);
    watch.check();
    expect(watch.adviseBatchSize(64, { max: 128 })).toBe(80);
  });

  it('sizes batches from the memory really left — machine, budget, cgroup — at once, and grows back', () => {
    let available = 8e9;
    let cgroupLimit: number | null = null;
    const watch = new MemoryWatch({
      budget: 4e9,
      sampler: () => ({
        time: 0,
        rss: 1e9,
        heapUsed: 1,
        heapTotal: 2,
        external: 0,
        arrayBuffers: 0,
        systemTotal: 16e9,
        systemAvailable: available,
        cgroupLimit,
      }),
    });
    const advise = (current: number) => {
      watch.check();
      return watch.adviseBatchSize(current, { min: 8, max: 128, bytesPerSample: 1e6 });
    };
    expect(advise(128)).toBe(128); // 3 GB left in the budget: a quarter holds 128 MB
    available = 100e6; // another process took the machine's memory: 25 MB for a batch
    expect(watch.headroom()).toBe(3e9);
    expect(advise(128)).toBe(16);
    expect(watch.headroom()).toBe(100e6);
    available = 300e6; // room for 64, but growing wants twice that: 32
    expect(advise(16)).toBe(32);
    expect(advise(32)).toBe(32);
    available = 8e9;
    expect(advise(32)).toBe(128);
    cgroupLimit = 1.05e9; // the container leaves 50 MB above RSS
    expect(advise(128)).toBe(8);
    expect(advise(8)).toBe(8); // never below min
  });

  it('exports the timeline with phases as JSON and CSV', () => {
    const watch = new MemoryWatch({ budget: 400, sampler: fake([100, 200]) });
    watch.setPhase('epoch 1 train');
    watch.check();
    watch.setPhase('epoch 1 eval');
    watch.check();
    expect(watch.toJSON().map((e) => e.phase)).toEqual(['epoch 1 train', 'epoch 1 eval']);
    const csv = watch.toCSV().trim().split('\n');
    expect(csv[0]).toMatch(/^time,phase,level,rss/);
    expect(csv[2]).toContain('"epoch 1 eval",ok,200');
  });
});

it('sees critical fire before a real allocation past a small budget completes', () => {
  const start = process.memoryUsage().rss;
  const watch = new MemoryWatch({ budget: start + 150 * 2 ** 20 });
  let critical = false;
  watch.onLevel((level) => {
    if (level === 'critical') critical = true;
  });
  const chunks: Uint8Array[] = [];
  const planned = 40; // 40 × 16 MiB = 640 MiB, far past the 150 MiB headroom
  expect(() => {
    for (let i = 0; i < planned; i++) {
      chunks.push(new Uint8Array(16 * 2 ** 20).fill(1)); // fill: make the pages resident
      watch.assertWithinBudget();
    }
  }).toThrow(MemoryLimitExceededError);
  expect(critical).toBe(true);
  expect(chunks.length).toBeLessThan(planned);
  chunks.length = 0;
});
