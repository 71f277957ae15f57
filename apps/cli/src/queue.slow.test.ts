import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { checkpointPath, readCheckpoint } from '@sprout/trainer';
import type { TuneState } from '@sprout/tune';
import { afterEach, expect, it } from 'vitest';
import { freePort, hasRedis, type RedisServer, startRedis } from './test-support/redisServer.js';

// `sprout tune --queue` and `sprout worker` through the built binary, on a real redis-server
// started per test on a free port: BullMQ's stalled-job recovery, restarts, secrets, refusals.
const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'sprout-queue-'));
// A killed worker's job is found stalled after about twice this (BullMQ's default is 30 s).
const LOCK_MS = '2000';

/** A space file; `base` in the overrides changes only the options it names. */
function spaceFile(
  name: string,
  { base, ...overrides }: { base?: Record<string, unknown>; [key: string]: unknown } = {},
): string {
  const space = {
    base: {
      trainLimit: 1500,
      devSize: 300,
      initialHidden: [16],
      hidden: [16],
      backend: 'cpu',
      lrSchedule: 'cosine',
      patience: 0,
      ...base,
    },
    search: { learningRate: { log: [0.002, 0.05] }, dropout: { choice: [0, 0.3] } },
    trials: 4,
    minEpochs: 1,
    maxEpochs: 2,
    reduction: 2,
    seed: 2,
    promotion: 'synchronous',
    ...overrides,
  };
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(space));
  return file;
}

/** A process of the CLI with its output gathered, and a promise of its exit. */
interface Cli {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | string>;
}
const started: Cli[] = [];
let redis: RedisServer | null = null;

function cli(args: string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, SPROUT_QUEUE_LOCK_MS: LOCK_MS, SPROUT_THREADS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (d) => {
    text += d;
  });
  child.stderr?.on('data', (d) => {
    text += d;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  );
  const handle = { child, out: () => text, exited };
  started.push(handle);
  return handle;
}

async function until(what: string, test: () => boolean, watch?: Cli, ms = 300_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (watch && watch.child.exitCode !== null)
      throw new Error(`exited (${watch.child.exitCode}) before ${what}: ${watch.out()}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${watch?.out() ?? ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** redis-cli against the test's server; its stdout. */
function redisCli(...args: string[]): string {
  const run = spawnSync('redis-cli', ['-p', String(redis!.port), ...args], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.trim();
}

const stateOf = (out: string): TuneState => JSON.parse(readFileSync(join(out, 'tune.json'), 'utf8'));
const resultsOf = (s: TuneState) => s.trials.map((t) => t.results);
const chosenOf = (s: TuneState) => ({
  trial: s.chosen?.trial,
  devAccuracy: s.chosen?.devAccuracy,
  test: s.test?.accuracy,
});

/** The same search trained locally by one worker process: what every distributed run must match. */
function localReference(space: string, name: string): TuneState {
  const out = join(work, name);
  const run = spawnSync(process.execPath, [bin, 'tune', '--space', space, '--out', out, '--workers', '1'], {
    encoding: 'utf8',
    env: { ...process.env, SPROUT_THREADS: '1' },
  });
  expect(run.status, run.stderr).toBe(0);
  return stateOf(out);
}

afterEach(async () => {
  for (const p of started.splice(0))
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await redis?.stop();
  redis = null;
});

it.skipIf(!hasRedis)(
  'a 6-trial synchronous search on three `sprout worker`s, one killed with -9 mid-trial, chooses as --workers 1 does',
  async () => {
    const space = spaceFile('six', {
      base: { trainLimit: 6000, devSize: 500, initialHidden: [32], hidden: [32] },
      trials: 6,
      minEpochs: 1,
      maxEpochs: 3,
      reduction: 3,
      seed: 3,
    });
    const reference = localReference(space, 'six-local');
    redis = await startRedis();
    const out = join(work, 'six-queue');
    const coordinator = cli(['tune', '--space', space, '--out', out, '--queue', redis.url, '--workers', '0']);
    const workers = [0, 1, 2].map(() => cli(['worker', '--queue', redis!.url]));
    // Epoch 2 only happens in a job that continues a trial to 3 epochs: kill its worker there.
    let victim: { worker: Cli; trial: string } | null = null;
    await until('a worker in epoch 2 of a trial', () => {
      for (const w of workers) {
        const m = /^trial (\d+) epoch 2:/m.exec(w.out());
        if (m) victim = { worker: w, trial: m[1] };
      }
      return victim !== null;
    });
    const { worker, trial } = victim as unknown as { worker: Cli; trial: string };
    worker.child.kill('SIGKILL');
    expect(await coordinator.exited, coordinator.out()).toBe(0);
    // Another worker took the stalled job and went on from the killed one's last epoch.
    const others = workers
      .filter((w) => w !== worker)
      .map((w) => w.out())
      .join('\n');
    expect(others).toMatch(
      new RegExp(`trial ${trial} of tune \\w+: rung 1, to 3 epochs, from its checkpoint at epoch 2`),
    );
    const distributed = stateOf(out);
    expect(resultsOf(distributed)).toEqual(resultsOf(reference));
    expect(chosenOf(distributed)).toEqual(chosenOf(reference));
    for (const w of workers.filter((x) => x !== worker)) w.child.kill('SIGTERM');
    for (const w of workers.filter((x) => x !== worker)) expect(await w.exited).toBe(143);
    // The killed worker's scratch directory is left; the next worker on this host removes it.
    const left = join(
      tmpdir(),
      `sprout-worker-${hostname().replace(/[^A-Za-z0-9.-]/g, '_')}-${worker.child.pid}`,
    );
    expect(existsSync(left)).toBe(true);
    const next = cli(['worker', '--queue', redis.url]);
    await until('the next worker up', () => /waiting for trials/.test(next.out()), next);
    expect(existsSync(left)).toBe(false);
  },
);

it.skipIf(!hasRedis)(
  'a coordinator killed with -9 and run again finishes the same tune, no epoch trained twice',
  async () => {
    const space = spaceFile('restart', { trials: 6, maxEpochs: 4 });
    const reference = localReference(space, 'restart-local');
    redis = await startRedis();
    const out = join(work, 'restart-queue');
    const args = ['tune', '--space', space, '--out', out, '--queue', redis.url, '--workers', '0'];
    const workers = [0, 1].map(() => cli(['worker', '--queue', redis!.url]));
    const first = cli(args);
    await until('two rungs done', () => (first.out().match(/ epochs: dev /g) ?? []).length >= 2, first);
    first.child.kill('SIGKILL');
    await first.exited;
    const again = cli(args);
    expect(await again.exited, again.out()).toBe(0);
    expect(again.out()).toContain('continuing the tune');
    expect(resultsOf(stateOf(out))).toEqual(resultsOf(reference));
    expect(chosenOf(stateOf(out))).toEqual(chosenOf(reference));
    const epochs = workers.flatMap((w) => w.out().match(/^trial \d+ epoch \d+:/gm) ?? []);
    expect(epochs.length).toBeGreaterThan(0);
    expect(new Set(epochs).size).toBe(epochs.length);
  },
);

it.skipIf(!hasRedis)(
  'a password in the URL works and appears nowhere: not in output, tune.json or the summary; a wrong one is one line',
  async () => {
    redis = await startRedis({ password: 's3cret-pw' });
    const space = spaceFile('secret');
    const out = join(work, 'secret-queue');
    // Two workers started by the tune itself, on this machine.
    const run = cli(['tune', '--space', space, '--out', out, '--queue', redis.url, '--workers', '2']);
    expect(await run.exited, run.out()).toBe(0);
    expect(run.out()).toContain(`redis://:***@127.0.0.1:${redis.port}`);
    for (const text of [
      run.out(),
      readFileSync(join(out, 'tune.json'), 'utf8'),
      readFileSync(join(out, 'summary.md'), 'utf8'),
    ])
      expect(text).not.toContain('s3cret');
    const wrong = cli([
      'tune',
      '--space',
      space,
      '--out',
      join(work, 'wrong'),
      '--queue',
      `redis://:nope-pw@127.0.0.1:${redis.port}`,
    ]);
    expect(await wrong.exited).toBe(1);
    expect(wrong.out().trim().split('\n')).toHaveLength(1);
    expect(wrong.out()).toMatch(/^sprout: error: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    expect(wrong.out()).not.toContain('nope-pw');
  },
);

it.skipIf(!hasRedis)(
  'rediss:// with a password: trusted through NODE_EXTRA_CA_CERTS it chooses as locally; untrusted, or plain redis:// to a TLS port, is one line',
  async () => {
    const space = spaceFile('tls');
    const reference = localReference(space, 'tls-local');
    redis = await startRedis({ tls: true, password: 'tls-s3cret' });
    expect(redis.url).toMatch(/^rediss:/);
    const trust = { NODE_EXTRA_CA_CERTS: redis.certificate! };
    const out = join(work, 'tls-queue');
    const run = cli(['tune', '--space', space, '--out', out, '--queue', redis.url, '--workers', '0'], trust);
    const worker = cli(['worker', '--queue', redis.url], trust);
    expect(await run.exited, run.out()).toBe(0);
    expect(resultsOf(stateOf(out))).toEqual(resultsOf(reference));
    expect(chosenOf(stateOf(out))).toEqual(chosenOf(reference));
    // No warning (an IP as the TLS server name is one) and no password anywhere.
    for (const text of [run.out(), worker.out(), readFileSync(join(out, 'tune.json'), 'utf8')]) {
      expect(text).not.toContain('tls-s3cret');
      expect(text).not.toMatch(/Warning/);
    }
    expect(run.out()).toContain(`rediss://:***@127.0.0.1:${redis.port}`);

    // The same server without trusting its certificate, and plain redis:// to the TLS port.
    for (const [url, hint] of [
      [
        redis.url,
        /self-signed certificate \(is the server's certificate trusted\? point NODE_EXTRA_CA_CERTS/,
      ],
      [redis.url.replace(/^rediss:/, 'redis:'), /if it wants TLS, use rediss:\/\/\)$/],
    ] as const) {
      const refused = cli(['worker', '--queue', url]);
      expect(await refused.exited).toBe(1);
      const lines = refused.out().trim().split('\n');
      expect(lines, refused.out()).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^sprout: error: cannot reach Redis at rediss?:\/\/:\*\*\*@127\.0\.0\.1:\d+: /,
      );
      expect(lines[0]).toMatch(hint);
      expect(lines[0]).not.toContain('tls-s3cret');
    }
  },
);

it.skipIf(!hasRedis)(
  'an unreachable Redis is one line within seconds; a URL that is none is a usage error',
  async () => {
    const port = await freePort();
    for (const args of [
      [
        'tune',
        '--space',
        spaceFile('none'),
        '--out',
        join(work, 'none'),
        '--queue',
        `redis://127.0.0.1:${port}`,
      ],
      ['worker', '--queue', `redis://127.0.0.1:${port}`],
    ]) {
      const run = cli(args);
      expect(await run.exited).toBe(1);
      expect(run.out().trim()).toMatch(
        new RegExp(`^sprout: error: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: .*$`),
      );
    }
    const bad = cli(['worker', '--queue', 'http://:pw@host']);
    expect(await bad.exited).toBe(2);
    expect(bad.out().trim()).toBe(
      'sprout: error: --queue: expected a redis:// or rediss:// URL, got http://… (http://:***@host)',
    );
  },
);

it.skipIf(!hasRedis)(
  'Redis restarted with its data: the tune goes on; Redis gone: one clear error, every finished trial on disk',
  async () => {
    const space = spaceFile('restarted', { trials: 4, maxEpochs: 4 });
    const reference = localReference(space, 'restarted-local');
    redis = await startRedis({ persistent: true });
    const out = join(work, 'restarted-queue');
    const workers = [0, 1].map(() => cli(['worker', '--queue', redis!.url]));
    const run = cli(['tune', '--space', space, '--out', out, '--queue', redis.url, '--workers', '0']);
    await until('a rung done', () => / epochs: dev /.test(run.out()), run);
    await redis.stop();
    await redis.start();
    expect(await run.exited, run.out()).toBe(0);
    expect(chosenOf(stateOf(out))).toEqual(chosenOf(reference));
    for (const w of workers) w.child.kill('SIGTERM');

    // Now Redis goes for good in the middle of a tune.
    const lostOut = join(work, 'lost-queue');
    const lostWorker = cli(['worker', '--queue', redis.url]);
    const lost = cli(['tune', '--space', space, '--out', lostOut, '--queue', redis.url, '--workers', '0']);
    await until('a rung done', () => / epochs: dev /.test(lost.out()), lost);
    await redis.stop();
    expect(await lost.exited).toBe(1);
    expect(lost.out()).toMatch(
      /sprout: error: lost Redis at redis:\/\/127\.0\.0\.1:\d+ .* for 15 s: every finished trial is in the tune directory/,
    );
    const state = stateOf(lostOut);
    expect(state.trials.some((t) => t.results.length > 0)).toBe(true);
    lostWorker.child.kill('SIGKILL');
  },
);

it.skipIf(!hasRedis)(
  'two tunes on one Redis share its workers, not their jobs; a worker with other data refuses and stops; --data-dir maps the right data',
  async () => {
    // Two IDX data sets that differ in one training label.
    const good = join(work, 'stripes');
    const script = join(here, '..', '..', '..', 'scripts', 'make-stripes-dataset.mjs');
    expect(spawnSync(process.execPath, [script, good]).status).toBe(0);
    const other = join(work, 'stripes-other');
    cpSync(good, other, { recursive: true });
    const labels = join(other, 'train-labels-idx1-ubyte.gz');
    const bytes = gunzipSync(readFileSync(labels));
    bytes[8] = (bytes[8] + 1) % 10;
    writeFileSync(labels, gzipSync(bytes));
    const base = {
      dataDir: good,
      trainLimit: 1500,
      devSize: 300,
      initialHidden: [16],
      hidden: [16],
      backend: 'cpu',
      patience: 0,
    };
    const spaceA = spaceFile('tune-a', { base, seed: 5 });
    const spaceB = spaceFile('tune-b', { base, seed: 6 });
    const refA = localReference(spaceA, 'a-local');
    const refB = localReference(spaceB, 'b-local');
    redis = await startRedis();
    const a = cli([
      'tune',
      '--space',
      spaceA,
      '--out',
      join(work, 'a-queue'),
      '--queue',
      redis.url,
      '--workers',
      '0',
    ]);
    const b = cli([
      'tune',
      '--space',
      spaceB,
      '--out',
      join(work, 'b-queue'),
      '--queue',
      redis.url,
      '--workers',
      '0',
    ]);
    const wrong = cli(['worker', '--queue', redis.url, '--data-dir', other]);
    expect(await wrong.exited).toBe(1);
    expect(wrong.out()).toMatch(
      /refused trial \d+ of tune \w+: the data here \(.*stripes-other, SHA-256 \w+…\) is not the tune's/,
    );
    await until('the coordinator to hear of it', () =>
      /a worker refused a job: worker .* the data here/.test(a.out() + b.out()),
    );
    // The right data at another path on the workers' machine: --data-dir maps it.
    const elsewhere = join(work, 'mounted', 'stripes');
    cpSync(good, elsewhere, { recursive: true });
    [0, 1].map(() => cli(['worker', '--queue', redis!.url, '--data-dir', elsewhere]));
    expect(await a.exited, a.out()).toBe(0);
    expect(await b.exited, b.out()).toBe(0);
    expect(chosenOf(stateOf(join(work, 'a-queue')))).toEqual(chosenOf(refA));
    expect(chosenOf(stateOf(join(work, 'b-queue')))).toEqual(chosenOf(refB));
    expect(stateOf(join(work, 'a-queue')).queue?.tuneId).not.toBe(
      stateOf(join(work, 'b-queue')).queue?.tuneId,
    );
  },
);

it.skipIf(!hasRedis)(
  'a job from another Sprout version is refused: the worker names both versions and stops, the coordinator says so',
  async () => {
    redis = await startRedis();
    const space = spaceFile('version', { trials: 2 });
    const run = cli([
      'tune',
      '--space',
      space,
      '--out',
      join(work, 'version-queue'),
      '--queue',
      redis.url,
      '--workers',
      '0',
    ]);
    // No worker yet: the first job waits in Redis (the next is added once a worker takes it).
    // Make it a job from a coordinator of another version.
    let jobs: string[] = [];
    await until(
      'the first job queued',
      () => {
        jobs = redisCli('--scan', '--pattern', 'sprout:trials:*-*-0').split('\n').filter(Boolean);
        return jobs.length === 1;
      },
      run,
    );
    for (const key of jobs) {
      const data = JSON.parse(redisCli('HGET', key, 'data'));
      expect(data.sproutVersion).toMatch(/^\d+\.\d+\.\d+/);
      redisCli('HSET', key, 'data', JSON.stringify({ ...data, sproutVersion: '9.9.9-elsewhere' }));
    }
    const worker = cli(['worker', '--queue', redis.url]);
    expect(await worker.exited).toBe(1);
    expect(worker.out()).toMatch(
      /refused trial \d+ of tune \w+: this worker runs Sprout \d+\.\d+\.\d+\S*, the tune 9\.9\.9-elsewhere: install the coordinator's version/,
    );
    await until(
      'the coordinator to hear of it',
      () => /a worker refused a job: .*9\.9\.9-elsewhere/.test(run.out()),
      run,
    );
  },
);

it.skipIf(!hasRedis)(
  'Redis restarted without its data: the lost jobs are queued again and the tune still chooses as locally',
  async () => {
    const space = spaceFile('amnesia', { trials: 4, maxEpochs: 4 });
    const reference = localReference(space, 'amnesia-local');
    redis = await startRedis(); // no persistence: a restart comes back empty
    const out = join(work, 'amnesia-queue');
    const workers = [0, 1].map(() => cli(['worker', '--queue', redis!.url]));
    const run = cli(['tune', '--space', space, '--out', out, '--queue', redis.url, '--workers', '0']);
    await until('a rung done', () => / epochs: dev /.test(run.out()), run);
    await redis.stop();
    await redis.start();
    expect(await run.exited, run.out()).toBe(0);
    expect(run.out()).toMatch(/is no longer in Redis \(restarted without its data\?\): queued again/);
    expect(resultsOf(stateOf(out))).toEqual(resultsOf(reference));
    expect(chosenOf(stateOf(out))).toEqual(chosenOf(reference));
    for (const w of workers) expect(w.child.exitCode, w.out()).toBeNull();
  },
);

it.skipIf(!hasRedis)(
  'a worker stopped with SIGTERM saves a checkpoint and puts its trial back; Ctrl-C on the coordinator exits 130; run again, the tune chooses as locally',
  async () => {
    // One rung of 4 epochs, each long enough (about 0.5 s) that the stop lands with epochs to go.
    const space = spaceFile('stops', {
      base: { trainLimit: 20000, devSize: 500, initialHidden: [64], hidden: [64] },
      trials: 2,
      minEpochs: 4,
      maxEpochs: 4,
    });
    const reference = localReference(space, 'stops-local');
    redis = await startRedis();
    const out = join(work, 'stops-queue');
    const args = ['tune', '--space', space, '--out', out, '--queue', redis.url, '--workers', '0'];
    const first = cli(args);
    const stopped = cli(['worker', '--queue', redis.url]);
    await until('a trial in its first epoch', () => /^trial \d+ epoch 1:/m.test(stopped.out()), stopped);
    stopped.child.kill('SIGTERM');
    expect(await stopped.exited, stopped.out()).toBe(143);
    const back = /trial (\d+): saved a checkpoint in epoch \d+ and put it back in the queue/.exec(
      stopped.out(),
    );
    expect(back, stopped.out()).not.toBeNull();

    // Ctrl-C on the coordinator: it stops at once; what is queued stays queued.
    first.child.kill('SIGINT');
    expect(await first.exited, first.out()).toBe(130);
    const worker = cli(['worker', '--queue', redis.url]);
    const again = cli(args);
    expect(await again.exited, again.out()).toBe(0);
    expect(again.out()).toContain('continuing the tune');
    expect(worker.out()).toMatch(
      new RegExp(`trial ${back![1]} of tune \\w+: rung 0, to 4 epochs, from its checkpoint at epoch \\d`),
    );
    expect(resultsOf(stateOf(out))).toEqual(resultsOf(reference));
    expect(chosenOf(stateOf(out))).toEqual(chosenOf(reference));
  },
);

it.skipIf(!hasRedis)(
  'a trial that diverges on a worker is a failed result, as locally, and the search goes on',
  async () => {
    const space = spaceFile('diverge', {
      search: { learningRate: { choice: [0.003, 10] } },
      trials: 3,
      minEpochs: 1,
      maxEpochs: 2,
      seed: 2, // trials 0 and 1 draw 10 and diverge, trial 2 does not
    });
    const reference = localReference(space, 'diverge-local');
    expect(reference.trials.map((t) => t.params.learningRate).sort()).toContain(10);
    expect(reference.trials.some((t) => /diverged/.test(t.failure ?? ''))).toBe(true);
    redis = await startRedis();
    const out = join(work, 'diverge-queue');
    const worker = cli(['worker', '--queue', redis.url]);
    const run = cli(['tune', '--space', space, '--out', out, '--queue', redis.url, '--workers', '0']);
    expect(await run.exited, run.out()).toBe(0);
    expect(worker.out()).toMatch(/trial \d+ failed: training diverged/);
    const state = stateOf(out);
    // The same message, naming this tune's trial directory, where the kept checkpoint now is.
    const failures = (s: TuneState) => s.trials.map((t) => t.failure?.split(t.dir).join('<dir>') ?? null);
    expect(failures(state)).toEqual(failures(reference));
    for (const t of state.trials.filter((x) => x.failure)) {
      expect(t.failure).toContain(`The checkpoint of epoch 0 in ${t.dir} is kept`);
      expect(readCheckpoint(checkpointPath(t.dir)).state.epoch).toBe(0);
    }
    expect(resultsOf(state)).toEqual(resultsOf(reference));
    expect(chosenOf(state)).toEqual(chosenOf(reference));
    expect(worker.child.exitCode).toBeNull();
  },
);
