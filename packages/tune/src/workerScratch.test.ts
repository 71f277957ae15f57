import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { removeOrphans, scratchName, workerScratch } from './workerScratch.js';

it("removes only this host's scratch directories whose worker is gone, and never the root", () => {
  const root = mkdtempSync(join(tmpdir(), 'sprout-scratch-test-'));
  // A pid that existed and has exited.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  }).stdout;
  const dirs = {
    dead: scratchName(Number(dead)),
    alive: scratchName(process.ppid),
    otherHost: `sprout-worker-elsewhere-${dead}`,
    unrelated: 'my-data',
  };
  for (const name of Object.values(dirs)) {
    mkdirSync(join(root, name, 'tune', 'trial-000'), { recursive: true });
    writeFileSync(join(root, name, 'tune', 'trial-000', 'checkpoint.sprout'), 'x');
  }
  expect(removeOrphans(root)).toEqual([dirs.dead]);
  expect(readdirSync(root).sort()).toEqual([dirs.alive, dirs.otherHost, dirs.unrelated].sort());

  expect(scratchName(42)).toBe(`sprout-worker-${hostname().replace(/[^A-Za-z0-9.-]/g, '_')}-42`);
  const mine = workerScratch(root);
  expect(mine).toBe(join(root, scratchName(process.pid)));
  expect(existsSync(mine)).toBe(true);
  expect(removeOrphans(join(root, 'missing'))).toEqual([]);
});
