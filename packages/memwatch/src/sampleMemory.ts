import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { readCgroupMemoryLimit } from './cgroup.js';

/** One memory reading, in bytes. */
export interface MemorySample {
  /** ms since the epoch. */
  time: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  systemTotal: number;
  systemAvailable: number;
  /** The container limit, or null. */
  cgroupLimit: number | null;
}

/** A function that reads memory now (injectable for tests). */
export type Sampler = () => MemorySample;

function memAvailable(): number {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // Not Linux: fall back to free memory.
  }
  return freemem();
}

let cachedLimit: number | null | undefined;

/**
 * Reads process and system memory: `process.memoryUsage()`, MemAvailable, and the cgroup limit
 * (read once; it does not change while running).
 */
export const sampleMemory: Sampler = () => {
  const u = process.memoryUsage();
  if (cachedLimit === undefined) cachedLimit = readCgroupMemoryLimit();
  return {
    time: Date.now(),
    rss: u.rss,
    heapUsed: u.heapUsed,
    heapTotal: u.heapTotal,
    external: u.external,
    arrayBuffers: u.arrayBuffers,
    systemTotal: totalmem(),
    systemAvailable: memAvailable(),
    cgroupLimit: cachedLimit,
  };
};

/** Memory the process may use: the smaller of the machine's memory and the cgroup limit. */
export function memoryAvailableToProcess(sample: MemorySample): number {
  return sample.cgroupLimit === null ? sample.systemTotal : Math.min(sample.systemTotal, sample.cgroupLimit);
}
