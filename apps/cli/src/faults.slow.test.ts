import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpointPath, readCheckpoint } from '@sprout/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The fault suite: the built CLI driven through bad input and faults (kills, full and read-only
// disks, corrupt and foreign files, concurrent runs, memory budgets). For each case: the exit
// code, one line on stderr that names what to fix, and every earlier artifact byte for byte intact.
// Each case adds a row to .test-results/faults.md (case | rc | message | data intact).
const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'sprout-faults-'));
const rows: string[] = [];

// Tiny runs on a synthetic 10-class dataset (class c: a bright 3×3 block at a place of its own).
const tiny = [
  ...['--dev-size', '60', '--initial-hidden-size', '8', '--final-hidden-size', '16', '--growth-epochs', '1'],
  ...['--warmup-epochs', '0', '--backend', 'cpu', '--no-report', '--learning-rate', '0.01'],
];

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}
const sprout = (args: string[], cwd = root): Result =>
  spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });

/** IDX bytes: magic (type 0x08, dims), big-endian sizes, then the data. */
function idx(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((d, i) => {
    head.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([head, data]);
}

function writeDataset(
  dir: string,
  options: { side?: number; train?: number; test?: number; classes?: number; stray?: number } = {},
) {
  const { side = 28, train = 400, test = 100, classes = 10 } = options;
  mkdirSync(dir, { recursive: true });
  const make = (n: number, seed: number) => {
    const labels = Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) % classes);
    const images = new Uint8Array(n * side * side);
    labels.forEach((c, i) => {
      const [y, x] = [(Math.floor(c / 4) * 3 + 2) % (side - 3), ((c % 4) * 3 + 2) % (side - 3)];
      for (let dy = 0; dy < 3; dy++)
        for (let dx = 0; dx < 3; dx++)
          images[i * side * side + (y + dy) * side + x + dx] = 200 + ((i + dx) % 50);
    });
    return { labels, images };
  };
  const tr = make(train, 0);
  if (options.stray !== undefined) tr.labels[123] = options.stray;
  const te = make(test, 3);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([train, side, side], tr.images));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([train], tr.labels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([test, side, side], te.images));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([test], te.labels));
  return dir;
}

/** Every file under `dir` with its SHA-256. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isFile()) out[name] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

/**
 * A file written before is intact when it is byte for byte the same or, where `whole` allows (a
 * run that got further before the fault), a complete, valid newer version — never a torn one.
 */
function intactFile(path: string, before: string, whole: boolean): boolean {
  if (!existsSync(path)) return false;
  const bytes = readFileSync(path);
  if (createHash('sha256').update(bytes).digest('hex') === before) return true;
  if (!whole) return false;
  const name = path.split('/').at(-1) ?? '';
  try {
    if (name === 'checkpoint.sprout') return readCheckpoint(path) !== null;
    if (name === 'model.sprout') {
      const end = bytes.length - 32;
      return createHash('sha256').update(bytes.subarray(0, end)).digest().equals(bytes.subarray(end));
    }
    if (name.endsWith('.json')) return JSON.parse(bytes.toString('utf8')) !== undefined;
    return bytes.length > 0;
  } catch {
    return false;
  }
}

interface Kept {
  dir: string;
  before: Record<string, string>;
  whole?: boolean;
}

/** The checks every case makes; records the row of the table. */
function expectFault(name: string, r: Result, rc: number, message: RegExp, intact: Kept[] = []) {
  const lines = r.stderr.trim().split('\n');
  // A success is shown by its last line of output; a failure by its one line on stderr.
  const line = (rc === 0 ? r.stdout.trim().split('\n') : lines).at(-1) ?? '';
  const kept = intact.every(({ dir, before, whole = false }) =>
    Object.entries(before).every(([f, h]) => intactFile(join(dir, f), h, whole)),
  );
  rows.push(
    `| ${name} | ${r.status} | ${line.replaceAll('|', '\\|')} | ${intact.length ? (kept ? 'yes' : 'NO') : '—'} |`,
  );
  expect(r.status, `${name}: ${r.stderr}`).toBe(rc);
  if (rc !== 0 && rc < 128) expect(lines, name).toHaveLength(1);
  expect(line, name).toMatch(message);
  expect(kept, `${name}: earlier files changed`).toBe(true);
}

let data: string;
let good: string; // a finished run: model, checkpoint, metrics
const fresh = (name: string) => {
  const dir = join(root, name);
  cpSync(good, dir, { recursive: true });
  return dir;
};
const keep = (dir: string, whole = false): Kept => ({ dir, before: snapshot(dir), whole });
const epochOf = (dir: string) => readCheckpoint(checkpointPath(dir)).state.epoch;

/** Starts a long run; resolves once it has printed `pattern`. */
function startRun(args: string[]): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr?.resume();
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      out += d;
      if (/epoch \d+: train/.test(out)) resolve({ child, out: () => out });
    });
    child.on('exit', (code) => reject(new Error(`run ended (rc ${code}) before epoch 1:\n${out}`)));
  });
}
const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });

// A small filesystem of our own (tmpfs), to fill up or make read-only. Needs root (CI has it).
function mountTmpfs(dir: string, options: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status === 0;
}
const mounted: string[] = [];

beforeAll(() => {
  data = writeDataset(join(root, 'data'));
  good = join(root, 'good');
  const r = sprout([...tiny, '--data-dir', data, '--epochs', '2', '--out', good]);
  expect(r.status, r.stderr).toBe(0);
});
afterAll(() => {
  for (const dir of mounted) spawnSync('umount', [dir]);
  const table = ['| case | rc | message | data intact |', '|---|---|---|---|', ...rows].join('\n');
  mkdirSync(join(here, '..', '.test-results'), { recursive: true });
  writeFileSync(join(here, '..', '.test-results', 'faults.md'), `${table}\n`);
  rmSync(root, { recursive: true, force: true });
});

describe('a run directory belongs to one run', () => {
  it('a new run into a directory holding a trained model is refused', () => {
    const dir = fresh('occupied');
    const k = keep(dir);
    const r = sprout([...tiny, '--data-dir', data, '--epochs', '1', '--out', dir]);
    expectFault('new run into a trained run', r, 2, /already holds a run .*--overwrite/, [k]);
  });

  it('--epochs 0 over a trained model is refused', () => {
    const dir = fresh('epochs0');
    const k = keep(dir);
    const r = sprout([...tiny, '--data-dir', data, '--epochs', '0', '--out', dir]);
    expectFault('--epochs 0 over a trained run', r, 2, /already holds a run/, [k]);
  });

  it('a diverging run over a trained model is refused before it starts', () => {
    const dir = fresh('diverge-over');
    const k = keep(dir);
    const r = sprout([...tiny, '--data-dir', data, '--learning-rate', '10', '--out', dir]);
    expectFault('--learning-rate 10 over a trained run', r, 2, /already holds a run/, [k]);
  });

  it('--overwrite replaces it, on request', () => {
    const dir = fresh('overwrite');
    const r = sprout([
      ...tiny,
      '--data-dir',
      data,
      '--epochs',
      '1',
      '--seed',
      '5',
      '--out',
      dir,
      '--overwrite',
    ]);
    expectFault('--overwrite', r, 0, /./);
    expect(existsSync(join(dir, 'model.sprout'))).toBe(true);
  });

  it("an --overwrite run that fails gives the replaced run back; files not Sprout's are never touched", () => {
    const dir = fresh('overwrite-fails');
    writeFileSync(join(dir, 'notes.png'), 'mine');
    const k = keep(dir);
    const r = sprout([...tiny, '--data-dir', data, '--learning-rate', '10', '--out', dir, '--overwrite']);
    expectFault('--overwrite run that diverges', r, 1, /training diverged/, [k]);
    expect(existsSync(join(dir, '.replaced'))).toBe(false);
  });

  it("a directory with files that are not Sprout's is refused; with --overwrite they stay", () => {
    const dir = mkdtempSync(join(root, 'mine-'));
    writeFileSync(join(dir, 'metrics.json'), '{"mine": true}');
    writeFileSync(join(dir, 'logo.svg'), '<svg/>');
    const k = keep(dir);
    expectFault(
      '--out holding other files',
      sprout([...tiny, '--data-dir', data, '--out', dir]),
      2,
      /is not empty \(logo\.svg\): give a new or empty --out/,
      [k],
    );
    const r = sprout([...tiny, '--data-dir', data, '--epochs', '1', '--out', dir, '--overwrite']);
    expectFault('--overwrite beside other files', r, 0, /./);
    expect(readFileSync(join(dir, 'logo.svg'), 'utf8')).toBe('<svg/>');
  });

  it('--overwrite without --out is refused (a run without --out never replaces one)', () => {
    const cwd = mkdtempSync(join(root, 'cwd-'));
    expectFault(
      '--overwrite without --out',
      sprout([...tiny, '--data-dir', data, '--overwrite'], cwd),
      2,
      /--overwrite replaces the run in the --out you give/,
    );
    expect(existsSync(join(cwd, 'runs'))).toBe(false);
  });

  it('runs without --out get their own directories; runs/latest follows the newest', () => {
    const cwd = mkdtempSync(join(root, 'cwd-'));
    const first = sprout([...tiny, '--data-dir', data, '--epochs', '1'], cwd);
    const second = sprout([...tiny, '--data-dir', data, '--epochs', '1'], cwd);
    expectFault('two runs without --out', second, 0, /./);
    expect(first.status).toBe(0);
    const runs = readdirSync(join(cwd, 'runs')).filter((d) => d !== 'latest');
    expect(runs).toHaveLength(2);
    expect(readlinkSync(join(cwd, 'runs', 'latest'))).toBe(runs.sort()[1]);
    const again = sprout(['--continue-training', '--epochs', '2', '--backend', 'cpu', '--no-report'], cwd);
    expect(again.status, again.stderr).toBe(0);
  });

  it('a second run into a directory in use is refused; SIGTERM stops the first with 143 and a checkpoint', async () => {
    const dir = join(root, 'concurrent');
    const { child } = await startRun([
      ...tiny,
      '--data-dir',
      data,
      '--epochs',
      '10000',
      '--patience',
      '0',
      '--out',
      dir,
    ]);
    const k = keep(dir, true); // the running run rewrites its checkpoint every epoch
    const r = sprout([...tiny, '--data-dir', data, '--epochs', '1', '--out', dir, '--overwrite']);
    expectFault('second run into a directory in use', r, 2, /in use by another sprout run \(pid \d+\)/, [k]);
    const r2 = sprout(['--continue-training', '--out', dir]);
    expectFault('--continue-training while it runs', r2, 2, /in use by another sprout run/);
    child.kill('SIGTERM');
    const code = await exited(child);
    rows.push(`| SIGTERM during training | ${code} | (checkpoint saved) | yes |`);
    expect(code).toBe(143);
    expect(readFileSync(join(dir, 'checkpoint.sprout')).length).toBeGreaterThan(0);
    expect(existsSync(join(dir, '.sprout.lock'))).toBe(false);
  });

  it('SIGINT stops with 130; the run continues from its checkpoint', async () => {
    const dir = join(root, 'sigint');
    const { child } = await startRun([
      ...tiny,
      '--data-dir',
      data,
      '--epochs',
      '10000',
      '--patience',
      '0',
      '--out',
      dir,
    ]);
    child.kill('SIGINT');
    const code = await exited(child);
    rows.push(`| SIGINT during training | ${code} | (checkpoint saved) | yes |`);
    expect(code).toBe(130);
    const r = sprout(['--continue-training', '--out', dir, '--epochs', String(epochOf(dir) + 1)]);
    expect(r.status, r.stderr).toBe(0);
  });

  it('kill -9 at random moments: the checkpoint is always whole, orphan temp files are removed', async () => {
    const dir = join(root, 'kill9');
    for (let i = 0; i < 4; i++) {
      const args =
        i === 0
          ? [...tiny, '--data-dir', data, '--epochs', '10000', '--patience', '0', '--out', dir]
          : ['--continue-training', '--out', dir, '--epochs', '10000'];
      const { child } = await startRun(args);
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 400));
      child.kill('SIGKILL');
      await exited(child);
    }
    writeFileSync(join(dir, 'checkpoint.sprout.tmp-4194304'), 'torn'); // as a kill mid-write leaves
    const r = sprout(['--continue-training', '--out', dir, '--epochs', String(epochOf(dir) + 1)]);
    expectFault('resume after 4 × kill -9', r, 0, /./);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('corrupt, foreign and missing files', () => {
  it('a model with flipped weight bytes is refused by --evaluate', () => {
    const dir = fresh('flipped-model');
    const file = join(dir, 'model.sprout');
    const bytes = readFileSync(file);
    for (let i = 0; i < 2000; i++) bytes[bytes.length - 40 - i * 3] ^= 0x5a;
    writeFileSync(file, bytes);
    const k = keep(dir);
    expectFault(
      'model.sprout with 2,000 flipped bytes',
      sprout(['--evaluate', '--out', dir]),
      1,
      /model\.sprout is corrupt: checksum mismatch/,
      [k],
    );
  });

  it('a checkpoint whose epoch was edited is refused', () => {
    const dir = fresh('edited-epoch');
    const file = join(dir, 'checkpoint.sprout');
    const bytes = readFileSync(file);
    const at = bytes.indexOf('"epoch":2,');
    bytes[at + 8] = '9'.charCodeAt(0);
    writeFileSync(file, bytes);
    const k = keep(dir);
    expectFault(
      'checkpoint with an edited epoch',
      sprout(['--continue-training', '--out', dir]),
      1,
      /checkpoint\.sprout is corrupt: checksum mismatch/,
      [k],
    );
  });

  it('a truncated checkpoint is refused', () => {
    const dir = fresh('truncated');
    const file = join(dir, 'checkpoint.sprout');
    writeFileSync(file, readFileSync(file).subarray(0, 5000));
    const k = keep(dir);
    expectFault(
      'truncated checkpoint',
      sprout(['--continue-training', '--out', dir]),
      1,
      /truncated or corrupt: expected \d+ bytes, found 5000/,
      [k],
    );
  });

  it('an unreadable checkpoint is not reported as a missing one', () => {
    const dir = fresh('unreadable');
    rmSync(join(dir, 'checkpoint.sprout'));
    mkdirSync(join(dir, 'checkpoint.sprout'));
    const k = keep(dir);
    expectFault(
      'checkpoint.sprout is a directory',
      sprout(['--continue-training', '--out', dir]),
      1,
      /cannot read the checkpoint .*checkpoint\.sprout: it is a directory \(EISDIR\); it was left as it is/,
      [k],
    );
  });

  it('foreign files are named as such', () => {
    const dir = fresh('foreign');
    writeFileSync(join(dir, 'model.sprout'), Buffer.from('\x89PNG\r\n\x1a\n not a model at all'));
    writeFileSync(join(dir, 'checkpoint.sprout'), '{"epoch": 3}');
    const k = keep(dir);
    expectFault(
      'a PNG as model.sprout',
      sprout(['--evaluate', '--out', dir]),
      1,
      /model\.sprout: not a Sprout model/,
      [k],
    );
    expectFault(
      'JSON as checkpoint.sprout',
      sprout(['--continue-training', '--out', dir]),
      1,
      /checkpoint\.sprout is not a Sprout checkpoint/,
      [k],
    );
  });

  it('nothing to continue or evaluate', () => {
    const dir = mkdtempSync(join(root, 'empty-'));
    expectFault(
      '--continue-training with no checkpoint',
      sprout(['--continue-training', '--out', dir]),
      1,
      /no checkpoint at .*run training without --continue-training first/,
    );
    expectFault(
      '--evaluate with no model',
      sprout(['--evaluate', '--out', dir]),
      1,
      /no saved model at .*train first/,
    );
  });
});

describe('every input file, whatever is wrong with it, is named with what is wrong', () => {
  // Each input the CLI reads, broken each way a file can be: missing, a directory in its place,
  // empty, or bytes of another kind. One line on stderr names the file; nothing is a stack trace.
  let fixtures = 0;
  const fixture = () => join(root, `inputs-${fixtures++}`);
  /** Each input with fresh files around it: the file to break and the command that reads it. */
  const inputs: { name: string; optional?: boolean; make: () => { file: string; args: string[] } }[] = [
    ...['train-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 'classes.txt'].map((base) => ({
      name: base,
      optional: base === 'classes.txt',
      make: () => {
        const dataset = writeDataset(fixture());
        return { file: join(dataset, base), args: [...tiny, '--data-dir', dataset, '--out', fixture()] };
      },
    })),
    ...(['evaluate', 'export', 'predict'] as const).map((command) => ({
      name: `model.sprout (${command})`,
      make: () => {
        const run = fresh(`inputs-${fixtures++}`);
        writeFileSync(
          join(run, 'digit.pgm'),
          Buffer.concat([Buffer.from('P5 28 28 255\n'), Buffer.alloc(784, 9)]),
        );
        const args = {
          evaluate: ['evaluate', '--out', run],
          export: ['export', '--out', run, '--format', 'onnx', '--to', fixture()],
          predict: ['predict', '--out', run, join(run, 'digit.pgm')],
        }[command];
        return { file: join(run, 'model.sprout'), args };
      },
    })),
    {
      name: 'checkpoint.sprout',
      make: () => {
        const run = fresh(`inputs-${fixtures++}`);
        return { file: join(run, 'checkpoint.sprout'), args: ['continue', '--out', run, '--epochs', '3'] };
      },
    },
    {
      name: 'an image (predict)',
      make: () => {
        const file = join(fixture(), 'digit.png');
        mkdirSync(dirname(file), { recursive: true });
        return { file, args: ['predict', '--out', good, file] };
      },
    },
    {
      name: 'a search space',
      make: () => {
        const file = `${fixture()}.json`;
        return { file, args: ['tune', '--space', file, '--out', fixture(), '--workers', '1'] };
      },
    },
    {
      name: 'tune.json',
      optional: true,
      make: () => {
        const [space, out] = [`${fixture()}.json`, fixture()];
        writeFileSync(
          space,
          JSON.stringify({ search: { dropout: { choice: [0] } }, trials: 1, minEpochs: 1, maxEpochs: 1 }),
        );
        mkdirSync(out);
        return {
          file: join(out, 'tune.json'),
          args: ['tune', '--space', space, '--out', out, '--workers', '1'],
        };
      },
    },
  ];
  const breakings: [string, (file: string) => void][] = [
    ['missing', (file) => rmSync(file, { recursive: true, force: true })],
    [
      'a directory',
      (file) => {
        rmSync(file, { recursive: true, force: true });
        mkdirSync(file);
      },
    ],
    [
      'empty',
      (file) => {
        rmSync(file, { recursive: true, force: true });
        writeFileSync(file, '');
      },
    ],
    [
      'another kind of file',
      (file) => {
        rmSync(file, { recursive: true, force: true });
        writeFileSync(
          file,
          Buffer.from('%PDF-1.4 not what was expected at all, and long enough to look like something'),
        );
      },
    ],
  ];
  it.each(breakings)('%s', (how, breakFile) => {
    for (const input of inputs) {
      // An optional file that is missing is simply not used.
      if (how === 'missing' && input.optional) continue;
      const { file, args } = input.make();
      breakFile(file);
      const r = sprout(args);
      const label = `${input.name}: ${how}`;
      const base = (file.split('/').at(-1) as string).replace('.', '\\.');
      // A missing IDX file is named by what was looked for in its directory.
      const named = new RegExp(`${base}|no file matching .*${base.split('-')[0]}`);
      expectFault(label, r, r.status === 2 ? 2 : 1, named);
      expect(r.stderr, label).not.toMatch(/\n\s+at /);
    }
  });
});

describe('datasets checked before work starts', () => {
  it('--evaluate scores a run on the dataset it was trained on', () => {
    const dir = fresh('own-data');
    const r = sprout(['--evaluate', '--out', dir, '--backend', 'cpu']);
    expectFault('--evaluate of a --data-dir run', r, 0, /./);
    expect(r.stdout).toContain(`on ${data}`);
  });

  it('a dataset of another image size or more classes is refused by --evaluate', () => {
    const dir = fresh('other-data');
    const k = keep(dir);
    const small = writeDataset(join(root, 'data14'), { side: 14 });
    expectFault(
      '--evaluate on 14×14 images',
      sprout(['--evaluate', '--out', dir, '--data-dir', small]),
      2,
      /data14 has 14×14 images but the model in .* takes 28×28 images/,
      [k],
    );
    const twelve = writeDataset(join(root, 'data12'), { classes: 12 });
    expectFault(
      '--evaluate on 12 classes',
      sprout(['--evaluate', '--out', dir, '--data-dir', twelve]),
      2,
      /data12 has test labels up to 11 \(12 classes\) but the model in .* outputs 10 classes/,
      [k],
    );
  });

  it('a stray training label is reported with file, index and value; no run directory is made', () => {
    const stray = writeDataset(join(root, 'stray'), { stray: 200 });
    const out = join(root, 'stray-run');
    expectFault(
      'training label 200 among 0..9',
      sprout([...tiny, '--data-dir', stray, '--out', out]),
      1,
      /train-labels-idx1-ubyte: at byte 131: .*--classes 201.*found 200 \(label index 123\)/,
    );
    expect(existsSync(out)).toBe(false);
    const declared = sprout([
      ...tiny,
      '--data-dir',
      stray,
      '--classes',
      '201',
      '--epochs',
      '1',
      '--out',
      out,
    ]);
    expectFault('the same with --classes 201', declared, 0, /./);
    expectFault('--evaluate of that run (no --classes needed)', sprout(['--evaluate', '--out', out]), 0, /./);
  });

  it('a missing, empty or truncated --data-dir is named', () => {
    const out = join(root, 'no-data-run');
    expectFault(
      '--data-dir that does not exist',
      sprout([...tiny, '--data-dir', join(root, 'nope'), '--out', out]),
      1,
      /data directory .*nope does not exist/,
    );
    expectFault(
      '--data-dir with no IDX files',
      sprout([...tiny, '--data-dir', mkdtempSync(join(root, 'e-')), '--out', out]),
      1,
      /no file matching .*train-images/,
    );
    const cut = writeDataset(join(root, 'cut'));
    const f = join(cut, 'train-images-idx3-ubyte');
    writeFileSync(f, readFileSync(f).subarray(0, 5000));
    expectFault(
      'truncated train images',
      sprout([...tiny, '--data-dir', cut, '--out', out]),
      1,
      /train-images-idx3-ubyte: .*(truncated|expected)/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('--evaluate refuses its own dataset when its files changed since training', () => {
    const swapped = writeDataset(join(root, 'swapped'));
    const dir = join(root, 'swapped-run');
    expect(sprout([...tiny, '--data-dir', swapped, '--epochs', '1', '--out', dir]).status).toBe(0);
    writeDataset(swapped, { stray: 4 });
    const k = keep(dir);
    expectFault(
      '--evaluate after the data changed',
      sprout(['--evaluate', '--out', dir]),
      2,
      /the data in .*swapped changed since the model in .* was trained on it; give --data-dir/,
      [k],
    );
  });

  it('a relative --data-dir is kept absolute: the run continues from another directory', () => {
    const cwd = mkdtempSync(join(root, 'rel-'));
    writeDataset(join(cwd, 'data'));
    const dir = join(root, 'relative-run');
    expect(sprout([...tiny, '--data-dir', 'data', '--epochs', '1', '--out', dir], cwd).status).toBe(0);
    expectFault(
      '--continue-training from another directory',
      sprout(['--continue-training', '--out', dir, '--epochs', '2']),
      0,
      /./,
    );
  });

  it('a dataset that changed since the checkpoint is refused on resume', () => {
    const changing = writeDataset(join(root, 'changing'));
    const dir = join(root, 'changed-run');
    expect(sprout([...tiny, '--data-dir', changing, '--epochs', '1', '--out', dir]).status).toBe(0);
    writeDataset(changing, { train: 400, test: 100, classes: 10, stray: 3 });
    const k = keep(dir);
    expectFault(
      'resume on changed data',
      sprout(['--continue-training', '--out', dir, '--epochs', '3']),
      2,
      /the data in .*changing changed since the checkpoint/,
      [k],
    );
  });
});

describe('training that goes wrong', () => {
  it('a continued run refuses an option that changes what the checkpoint means, naming the flag', () => {
    const dir = fresh('seed-change');
    const k = keep(dir);
    expectFault(
      '--continue-training --seed 3',
      sprout(['--continue-training', '--out', dir, '--seed', '3']),
      2,
      /^sprout: error: --seed: was 42 in the checkpoint, now 3: a continued run keeps it/,
      [k],
    );
  });

  it('a diverging run stops with a clear error; the last good checkpoint stays', () => {
    const dir = join(root, 'diverging');
    const r = sprout([...tiny, '--data-dir', data, '--learning-rate', '10', '--epochs', '5', '--out', dir]);
    expectFault(
      '--learning-rate 10 (diverges)',
      r,
      1,
      /training diverged in epoch 1.*lower --learning-rate.*checkpoint of epoch 0/,
    );
    expect(existsSync(join(dir, 'model.sprout'))).toBe(false);
  });

  it('a memory budget too small to train in stops with a typed error and the checkpoint intact', () => {
    const dir = fresh('membudget');
    const k = keep(dir);
    const r = sprout(['--continue-training', '--out', dir, '--epochs', '4', '--max-memory-percent', '0.001']);
    expectFault('--max-memory-percent 0.001', r, 1, /memory use \d+ MiB reached the critical level/, [k]);
  });

  it('a smaller --batch-size mid-epoch is refused, not ignored', async () => {
    const dir = join(root, 'midepoch');
    const { child } = await startRun([
      ...tiny,
      '--data-dir',
      data,
      '--epochs',
      '10000',
      '--patience',
      '0',
      '--out',
      dir,
      '--batch-size',
      '16',
    ]);
    child.kill('SIGINT');
    await exited(child);
    const k = keep(dir);
    const r = sprout(['--continue-training', '--out', dir, '--batch-size', '8']);
    // Interrupted at an epoch boundary it is taken; mid-epoch it is refused.
    if (r.status === 0) rows.push('| --batch-size 8 on resume (at an epoch boundary: taken) | 0 | | — |');
    else
      expectFault(
        '--batch-size 8 on resume mid-epoch',
        r,
        2,
        /--batch-size: cannot change to 8 in the middle of epoch/,
        [k],
      );
  });
});

describe('usage errors name the flag', () => {
  it.each([
    [['--batch-size', 'abc'], /--batch-size must be an integer, got "abc"/],
    [['--batch-size', '0'], /--batch-size: too small/i],
    [['--learning-rate', '-1'], /--learning-rate: too small/i],
    [['--max-memory-percent', '120'], /--max-memory-percent: too big/i],
    [['--continue-training', '--evaluate'], /--continue-training and --evaluate cannot be combined/],
    [['--evaluate', '--overwrite'], /--overwrite is for a new run/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--classes', '1', '--data-dir', '.'], /--classes: too small/i],
    [['--classes', '5'], /--classes: applies to a --data-dir dataset; the bundled MNIST has its 10 classes/],
    [['--epoch', '3'], /^sprout: error: unknown option '--epoch' \(Did you mean --epochs\?\)$/],
    [
      ['--initial-hidden-size', '64', '--final-hidden-size', '32'],
      /--final-hidden-size: must be at least --initial-hidden-size/,
    ],
  ])('%j', (args, message) => {
    const out = join(root, 'usage-run');
    expectFault(args.join(' '), sprout([...args, '--out', out]), 2, message);
    expect(existsSync(out)).toBe(false);
  });
});

describe('unwritable places', () => {
  it('--out below a file', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expectFault(
      '--out below a file',
      sprout([...tiny, '--data-dir', data, '--out', join(file, 'run')]),
      1,
      /cannot create the run directory .*a-file\/run: a parent of it is not a directory/,
    );
  });

  it('--out that is a file', () => {
    const file = join(root, 'b-file');
    writeFileSync(file, 'x');
    const k = { dir: root, before: { 'b-file': snapshot(root)['b-file'] } };
    expectFault(
      '--out that is a file',
      sprout([...tiny, '--data-dir', data, '--out', file]),
      1,
      /cannot create the run directory .*b-file: it is a file, not a directory/,
      [k],
    );
  });

  it.each(['model.sprout', 'history.json', 'metrics.json', 'memory.csv'])(
    'an end-of-run file that cannot be written (%s is a directory) fails with its path',
    (name) => {
      const dir = fresh(`blocked-${name}`);
      rmSync(join(dir, name), { force: true });
      mkdirSync(join(dir, name));
      const k = keep(dir, true);
      const r = sprout(['--continue-training', '--out', dir, '--epochs', String(epochOf(dir) + 1)]);
      expectFault(
        `${name} cannot be written`,
        r,
        1,
        new RegExp(`cannot write .*${name.replace('.', '\\.')}: it is a directory \\(EISDIR\\)`),
        [k],
      );
      expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    },
  );

  it('a read-only file system', (ctx) => {
    const ro = join(root, 'ro');
    if (!mountTmpfs(ro, 'ro,size=1m')) ctx.skip();
    mounted.push(ro);
    expectFault(
      '--out on a read-only file system',
      sprout([...tiny, '--data-dir', data, '--out', join(ro, 'run')]),
      1,
      /cannot create the run directory .*ro\/run: read-only file system \(EROFS\)/,
    );
  });

  it('a read-only run directory (resume)', () => {
    const dir = fresh('readonly-dir');
    chmodSync(dir, 0o555);
    const k = keep(dir);
    const r = sprout(['--continue-training', '--out', dir, '--epochs', '3']);
    chmodSync(dir, 0o755);
    // root may write anyway; then the run simply succeeds.
    if (r.status === 0) rows.push('| read-only run directory (root can write: ran) | 0 | | — |');
    else expectFault('read-only run directory', r, 1, /cannot .*readonly-dir.*permission denied/, [k]);
  });

  it('a disk that fills up at each write leaves the earlier files intact', (ctx) => {
    const disk = join(root, 'disk');
    if (!mountTmpfs(disk, 'size=8m')) ctx.skip();
    mounted.push(disk);
    // The good run on the small disk, then filler so that only `room` bytes are left.
    const dir = join(disk, 'run');
    cpSync(good, dir, { recursive: true });
    const outcomes = new Set<string>();
    // Room for less than one checkpoint, then for more and more of the end-of-run files.
    for (const room of [20_000, 200_000, ...Array.from({ length: 16 }, (_, i) => 300_000 + i * 12_000)]) {
      rmSync(join(disk, 'filler'), { force: true });
      const free = Number(
        spawnSync('df', ['--output=avail', '-B1', disk], { encoding: 'utf8' }).stdout.split('\n')[1],
      );
      writeFileSync(join(disk, 'filler'), Buffer.alloc(Math.max(0, free - room)));
      const k = keep(dir, true);
      const r = sprout(['--continue-training', '--out', dir, '--epochs', String(epochOf(dir) + 2)]);
      if (r.status === 0) break; // room enough for everything
      const file = /cannot write (\S+?):/.exec(r.stderr)?.[1] ?? '?';
      outcomes.add(file.split('/').at(-1) ?? file);
      expectFault(
        `disk full, ${room / 1000} kB free (fails at ${file.split('/').at(-1)})`,
        r,
        1,
        /cannot write .*: no space left on the device \(ENOSPC\)/,
        [k],
      );
      expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });
});
