import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where to read cgroup files (tests point this at fixtures). */
export interface CgroupPaths {
  /** Mount point of the cgroup filesystem (default /sys/fs/cgroup). */
  root?: string;
  /** Contents of /proc/self/cgroup (default: read it). */
  procSelfCgroup?: string;
}

// cgroup v1 reports "no limit" as a huge page-aligned number.
const V1_UNLIMITED = 2 ** 60;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * The container's memory limit in bytes, or null when there is none: cgroup v2 `memory.max`
 * ("max" = none) or cgroup v1 `memory.limit_in_bytes`, for this process's own cgroup.
 */
export function readCgroupMemoryLimit(paths: CgroupPaths = {}): number | null {
  const root = paths.root ?? '/sys/fs/cgroup';
  const self = paths.procSelfCgroup ?? read('/proc/self/cgroup') ?? '';
  const lines = self.split('\n').filter(Boolean);
  const v2 = lines.find((l) => l.startsWith('0::'));
  const v1 = lines.find((l) => /^\d+:[^:]*\bmemory\b[^:]*:/.test(l));
  const candidates: string[] = [];
  if (v2) {
    const rel = v2.slice(3);
    candidates.push(join(root, rel, 'memory.max'), join(root, 'memory.max'));
  }
  if (v1) {
    const rel = v1.split(':')[2];
    candidates.push(
      join(root, 'memory', rel, 'memory.limit_in_bytes'),
      join(root, 'memory', 'memory.limit_in_bytes'),
    );
  }
  for (const file of candidates) {
    const text = read(file);
    if (text === null) continue;
    if (text === 'max') return null;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) continue;
    return value >= V1_UNLIMITED ? null : value;
  }
  return null;
}
