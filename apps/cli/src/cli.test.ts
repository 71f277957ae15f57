import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// End-to-end through the real built binary (dist/cli.js), on the smallest real-MNIST slices that
// show each behaviour: they check what the CLI does, not how fast it learns.
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const quick = [
  '--train-limit',
  '800',
  '--dev-size',
  '100',
  '--test-limit',
  '300',
  '--initial-hidden-size',
  '16',
  '--final-hidden-size',
  '32',
  '--growth-epochs',
  '2',
  '--warmup-epochs',
  '1',
  '--backend',
  'cpu',
  '--no-report',
];
const run = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
const outDir = () => mkdtempSync(join(tmpdir(), 'sprout-cli-'));
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('sprout CLI', () => {
  it('trains, prints plain progress lines off a TTY, and ends with the summary', () => {
    const out = outDir();
    const r = run([...quick, '--epochs', '2', '--out', out, '--learning_rate', '0.01']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/epoch 0 \(untrained\)/);
    expect(r.stdout).toMatch(/epoch 2: train loss/);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^done: test accuracy \d+\.\d\d% after 2 epochs/);
  });

  it('--json: stdout is one JSON object; progress and logs go to stderr', () => {
    const out = outDir();
    const r = run([...quick, '--epochs', '2', '--out', out, '--json', '--learning_rate', '0.01']);
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(r.stderr).toMatch(/epoch 0 \(untrained\)/);
    expect(r.stderr).toMatch(/epoch 2: train loss/);
    expect(Object.keys(summary).sort()).toEqual(
      [
        'backend',
        'bestDevAccuracy',
        'epochs',
        'hiddenSize',
        'hiddenSizes',
        'outDir',
        'peakRssMB',
        'secondsTo98',
        'testAccuracy',
        'wallSeconds',
      ].sort(),
    );
    expect(summary.testAccuracy).toBeGreaterThan(0.5); // chance is 0.1
    expect(summary.outDir).toBe(out);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).testAccuracy).toBe(
      summary.testAccuracy,
    );
  });

  it('--evaluate loads the saved model, prints and saves the metrics', () => {
    const out = outDir();
    const trained = run([...quick, '--epochs', '2', '--learning-rate', '0.01', '--out', out, '--json']);
    expect(trained.status).toBe(0);
    const r = run(['--evaluate', '--out', out, '--test-limit', '300', '--backend', 'cpu', '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/test accuracy \d+\.\d\d%/);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(['testAccuracy', 'testLoss', 'macroF1', 'modelFile']);
    expect(existsSync(join(out, 'evaluation.json'))).toBe(true);
    // The saved model scores on the same 300 test images exactly what training reported for it.
    expect(lastJson(r.stdout).testAccuracy).toBe(lastJson(trained.stdout).testAccuracy);
    expect(lastJson(r.stdout).testAccuracy).toBeGreaterThan(0.5); // chance is 0.1
  });

  it('resumes after being killed with SIGINT mid-run (--continue_training)', async () => {
    const out = outDir();
    // Epochs of 700 images take milliseconds: without early stopping and with far more epochs than
    // it can finish, the run is still going when the signal lands, however late that is.
    const args = [...quick, '--epochs', '10000', '--patience', '0', '--out', out];
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let sent = false;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (!sent && /epoch 2: train/.test(stdout)) {
          sent = true; // a second Ctrl-C means "quit at once"
          child.kill('SIGINT');
        }
      });
      child.on('exit', () => resolve());
    });
    expect(child.exitCode).toBe(130);
    const reached = Number(/interrupted: .* after (\d+) epochs/.exec(stdout)?.[1]);
    expect(reached).toBeGreaterThanOrEqual(2);
    const r = run(['--continue_training', '--out', out, '--epochs', String(reached + 2), '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`continuing from epoch ${reached}`));
    expect(lastJson(r.stdout).epochs).toBe(reached + 2);
  });

  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['--batch-size', 'abc'], /--batch-size must be an integer, got "abc"/],
    [['--learning-rate', '-1'], /--learning-rate: too small: expected number to be >0/i],
    [['--backend', 'tpu'], /argument 'tpu' is invalid/],
    [['--max-memory-percent', '120'], /--max-memory-percent: too big: expected number to be <=100/i],
  ])('rejects %j with a one-line reason and a non-zero exit', (args, message) => {
    const r = run([...args, '--out', outDir()]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('refuses a corrupt checkpoint without touching it', () => {
    const out = outDir();
    expect(run([...quick, '--epochs', '1', '--out', out]).status).toBe(0);
    const file = join(out, 'checkpoint.sprout');
    const bytes = readFileSync(file);
    bytes.fill(7, 20, 60);
    writeFileSync(file, bytes);
    const r = run(['--continue-training', '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sprout: error: .*checkpoint\.sprout.*corrupt/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('stops quietly when the reader of stdout goes away (sprout | head -1), checkpoint saved', async () => {
    const out = outDir();
    const child = spawn(
      process.execPath,
      [bin, ...quick, '--epochs', '10000', '--patience', '0', '--out', out],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // Like head -1: read the first chunk, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(141);
    expect(stderr).toBe('');
    expect(existsSync(join(out, 'checkpoint.sprout'))).toBe(true);
  });

  it('--help and --version into a pipe nobody reads (| true) exit 0 without a stack trace', () => {
    for (const flag of ['--help', '--version']) {
      const r = spawnSync(
        'bash',
        ['-c', `"${process.execPath}" "${bin}" ${flag} | true; echo \${PIPESTATUS[0]}`],
        {
          encoding: 'utf8',
        },
      );
      expect(r.stdout.trim()).toBe('0');
      expect(r.stderr).toBe('');
    }
  });

  it('--version prints the package version', () => {
    const version = JSON.parse(readFileSync(join(dirname(bin), '..', 'package.json'), 'utf8')).version;
    expect(run(['--version']).stdout.trim()).toBe(version);
    expect(run(['-v']).stdout.trim()).toBe(version);
  });

  it('SPROUT_BACKEND sets the backend unless --backend is given, and is validated', () => {
    const env = (value: string) => ({ ...process.env, FORCE_COLOR: '0', SPROUT_BACKEND: value });
    const out = outDir();
    const args = quick.filter((a, i) => a !== '--backend' && quick[i - 1] !== '--backend');
    const r = spawnSync(process.execPath, [bin, ...args, '--epochs', '1', '--out', out, '--json'], {
      encoding: 'utf8',
      env: env('cpu'),
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^backend: cpu .*\(requested\)/m);
    const bad = spawnSync(process.execPath, [bin, '--epochs', '1', '--out', outDir()], {
      encoding: 'utf8',
      env: env('tpu'),
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('sprout: error: SPROUT_BACKEND must be auto, cpu or gpu, got "tpu"');
    const flagWins = spawnSync(process.execPath, [bin, ...quick, '--epochs', '1', '--out', outDir()], {
      encoding: 'utf8',
      env: env('tpu'),
    });
    expect(flagWins.status).toBe(0);
  });

  it('on a small CSV file trains on every row, says so, and shows no dev figures', () => {
    const out = outDir();
    const rows = Array.from(
      { length: 60 },
      (_, i) => `${i % 2 ? 1 + (i % 7) / 7 : -1 - (i % 5) / 5},${(i % 11) / 11},${i % 2}`,
    );
    const csv = join(out, 'small.csv');
    writeFileSync(csv, `a,b,y\n${rows.join('\n')}\n`);
    const r = run([
      'train',
      '--data',
      csv,
      '--label',
      'y',
      '--out',
      join(out, 'run'),
      '--backend',
      'cpu',
      '--no-report',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "48 training rows: too few to hold out a dev split worth choosing on; every row trains (up to 200 epochs) and early stopping follows the training loss, as scikit-learn's MLPClassifier does (--monitor dev-loss holds one out)",
    );
    expect(r.stdout).toMatch(/training on 48 rows/);
    expect(r.stdout).toMatch(/epoch 0 \(untrained\): dev —, test/);
    expect(r.stdout).toMatch(/epoch 1: train loss [\d.]+ acc [\d.]+% \| dev — \| test/);
    expect(r.stdout).not.toMatch(/NaN|null/);
  });

  it('documents every flag with its default in --help', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const flag of [
      '--batch-size',
      '--learning-rate',
      '--epochs',
      '--seed',
      '--backend',
      '--data-dir',
      '--out',
      '--no-augment',
      '--accumulate',
      '--json',
      '--continue-training',
      '--evaluate',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toMatch(/--batch-size <n>\s+micro-batch size \(default: 128\)/);
  });

  it('--threads and SPROUT_THREADS: bad values are one-line usage errors naming the flag or variable', () => {
    for (const [value, said] of [
      ['0', /--threads must be auto or a whole number of threads ≥ 1; got "0"/],
      ['-1', /--threads must be auto or a whole number of threads ≥ 1; got "-1"/],
      ['abc', /--threads must be auto or a whole number of threads ≥ 1; got "abc"/],
      ['100000', /--threads 100000 is more than 4 threads per core .*give at most \d+, or auto/],
    ] as const) {
      for (const command of [[], ['predict', 'x.png'], ['tune', '--space', 'x.json']]) {
        const r = run([...command, '--threads', value, '--out', outDir()]);
        expect(r.status, `${command.join(' ')} --threads ${value}`).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(said);
      }
    }
    const garbage = spawnSync(process.execPath, [bin, ...quick, '--epochs', '1', '--out', outDir()], {
      encoding: 'utf8',
      env: { ...process.env, SPROUT_THREADS: 'lots' },
    });
    expect(garbage.status).toBe(2);
    expect(garbage.stderr.trim()).toBe(
      'sprout: error: SPROUT_THREADS must be auto or a whole number of threads ≥ 1; got "lots"',
    );
  });

  it('--threads 1, 2 and 4 train the same model bit for bit, and the backend line says how many ran', () => {
    // 3 epochs on 6,000 images (5,000 after the dev split), the default widths and augmentation.
    const args = ['--train-limit', '6000', '--dev-size', '1000', '--test-limit', '1000', '--epochs', '3'];
    const runs = [1, 2, 4].map((threads) => {
      const out = outDir();
      const r = run([...args, '--backend', 'cpu', '--no-report', '--threads', String(threads), '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`backend: cpu \\(WebAssembly [^)]*, ${threads} threads?\\)`));
      const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')).map(
        ({
          seconds: _s,
          elapsed: _e,
          samplesPerSecond: _r,
          rssMB: _m,
          ...learned
        }: Record<string, unknown>) => learned,
      );
      return { model: readFileSync(join(out, 'model.sprout')), history };
    });
    for (const other of runs.slice(1)) {
      expect(other.history).toEqual(runs[0].history);
      expect(other.model.equals(runs[0].model)).toBe(true);
    }
  });
});
