import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `sprout train --data FILE.csv --label COLUMN`: the built CLI on the user's own CSV files — a
// run, predict and evaluate on it, and every bad input as one line naming the file (and line and
// column where there is one), exit 1 for bad data and 2 for bad usage, and no run directory made.
const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'sprout-csv-cli-'));

const sprout = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });

/** Two measurements per flower-like row, on scales 1000× apart; the class is which side it is on. */
function rows(count: number, seed: number): string[] {
  let s = seed;
  const random = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  return Array.from({ length: count }, (_, i) => {
    const kind = ['north', 'south', 'east'][i % 3];
    const a = 1000 * (i % 3) + 900 * random();
    const b = (i % 3 === 2 ? 2 : 1) + random();
    return `${a.toFixed(3)},"${b.toFixed(4)}",${kind}`;
  });
}
const file = (name: string, text: string) => {
  const path = join(root, name);
  writeFileSync(path, text);
  return path;
};
const header = 'height,weight,kind';
const train = file('train.csv', `\uFEFF${header}\r\n${rows(450, 3).join('\r\n')}\r\n\r\n`);
const quick = ['--epochs', '15', '--backend', 'cpu', '--no-report'];

describe('sprout train --data FILE.csv', () => {
  it('trains, says its test split, predicts rows and evaluates on another file', () => {
    // The tabular defaults on fewer than 1,000 training rows: every row trains (no dev split), up to
    // 200 epochs, early stopping on the training loss.
    const run = sprout(['train', '--data', train, '--label', 'kind', '--out', 'run', '--backend', 'cpu']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/360 training rows: too few to hold out a dev split .*\(up to 200 epochs\)/);
    expect(run.stdout + run.stderr).toMatch(
      /test set: a stratified 20% of .*train\.csv \(90 of 450 rows, by seed 42\)/,
    );
    const accuracy = Number(/test accuracy ([\d.]+)%/.exec(run.stdout + run.stderr)?.[1]);
    expect(accuracy).toBeGreaterThan(95);
    // New rows without the label column: a line each, with the row's line in the file.
    const fresh = file('new.csv', `weight,height\n1.5,100\n2.5,2500\n`);
    const predicted = sprout(['predict', '--out', 'run', fresh]);
    expect(predicted.status, predicted.stderr).toBe(0);
    expect(predicted.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/new\.csv:2: north \((>99\.99|\d+\.\d\d)%\)$/),
      expect.stringMatching(/new\.csv:3: east \((>99\.99|\d+\.\d\d)%\)$/),
    ]);
    const other = file('other.csv', `${header}\n${rows(60, 11).join('\n')}\n`);
    const evaluated = sprout(['evaluate', '--out', 'run', '--data', other]);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(evaluated.stdout + evaluated.stderr).toMatch(/on .*other\.csv: test accuracy (9\d|100)\.\d\d%/);
    const exported = sprout(['export', '--out', 'run', '--format', 'onnx', '--to', 'onnx']);
    expect(exported.status, exported.stderr).toBe(0);
  });

  it('--task regression: trains a number, predicts numbers, evaluates with R², MAE and MSE, exports', () => {
    // price = 1000·rooms + area/10 + noise, with the header's label last.
    const lines = Array.from({ length: 300 }, (_, i) => {
      const rooms = 1 + (i % 5);
      const area = 50 + ((i * 37) % 200);
      return `${rooms},${area},${(1000 * rooms + area / 10 + ((i * 13) % 7) - 3).toFixed(2)}`;
    });
    const data = file('houses.csv', `rooms,area,price\n${lines.join('\n')}\n`);
    const run = sprout([
      'train',
      '--data',
      data,
      '--label',
      'price',
      '--task',
      'regression',
      '--out',
      'houses',
      '--backend',
      'cpu',
      '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/test set: a random 20% of .*houses\.csv \(60 of 300 rows/);
    // Its report: the cost, schedule, width and memory plots and R², MAE, MSE; no accuracy or classes.
    const html = readFileSync(join(root, 'houses', 'report.html'), 'utf8');
    expect(html).toMatch(/test R²<\/td><td><b>0\.99\d+<\/b>/);
    expect(html).toContain('test MAE');
    // 240 training rows: no dev split, so no dev R².
    expect(html).not.toContain('best dev');
    expect(html).not.toContain('Per-class metrics');
    expect(existsSync(join(root, 'houses', 'cost.svg'))).toBe(true);
    expect(existsSync(join(root, 'houses', 'accuracy.svg'))).toBe(false);
    const summary = JSON.parse(run.stdout);
    expect(summary.testAccuracy).toBeNull();
    expect(summary.bestDevAccuracy).toBeNull();
    expect(summary.testRegression.r2).toBeGreaterThan(0.99);
    const fresh = file('new-houses.csv', 'area,rooms\n100,3\n');
    const predicted = sprout(['predict', '--out', 'houses', fresh]);
    expect(predicted.status, predicted.stderr).toBe(0);
    const value = Number(/new-houses\.csv:2: ([\d.]+)$/.exec(predicted.stdout.trim())?.[1]);
    expect(Math.abs(value - 3010)).toBeLessThan(150);
    const evaluated = sprout(['evaluate', '--out', 'houses']);
    expect(evaluated.stderr + evaluated.stdout).toMatch(/test R² 0\.99\d+, MAE [\d.]+, MSE [\d.]+/);
    const exported = sprout(['export', '--out', 'houses', '--format', 'onnx', '--to', 'houses-onnx']);
    expect(exported.status, exported.stderr).toBe(0);
  });

  const good = rows(40, 5);
  const ok = `${header}\n${good.join('\n')}\n`;
  const add =
    (...more: string[]) =>
    (args: string[]) => [...args, ...more];
  const drop = (flag: string) => (args: string[]) =>
    args.filter((_, i) => args[i] !== flag && args[i - 1] !== flag);
  const same = (args: string[]) => args;
  // [case, files (name → text, in the case's directory), the command line changed, exit code, message]
  const cases: [string, Record<string, string>, (args: string[]) => string[], number, RegExp][] = [
    [
      'a non-numeric feature',
      { 'd.csv': `${header}\n${good.slice(0, 5).join('\n')}\n12,abc,north\n` },
      same,
      1,
      /d\.csv: line 7, column 2 \(weight\) is "abc": expected a finite number/,
    ],
    [
      'a missing label column',
      { 'd.csv': 'height,weight\n1,2\n' },
      same,
      1,
      /d\.csv: no column "kind" for the labels/,
    ],
    [
      'ragged rows',
      { 'd.csv': `${header}\n${good[0]}\n1,2\n` },
      same,
      1,
      /d\.csv: line 3 has 2 fields, the header 3/,
    ],
    ['an empty file', { 'd.csv': '' }, same, 1, /d\.csv: empty: expected a header row/],
    [
      'a single class',
      { 'd.csv': `${header}\n1,2,north\n3,4,north\n` },
      same,
      1,
      /every label is "north": a classifier needs at least two classes/,
    ],
    [
      'NaN',
      { 'd.csv': `${header}\n${good[0]}\nNaN,1,south\n` },
      same,
      1,
      /d\.csv: line 3, column 1 \(height\) is "NaN"/,
    ],
    [
      'Infinity',
      { 'd.csv': `${header}\n${good[0]}\n1,-Infinity,south\n` },
      same,
      1,
      /line 3, column 2 \(weight\) is "-Infinity"/,
    ],
    [
      'test columns that differ',
      { 'd.csv': ok, 't.csv': 'height,size,kind\n1,2,north\n' },
      add('--test', 't.csv'),
      1,
      /t\.csv: its columns differ from the training data's: missing "weight"; not in training "size"/,
    ],
    [
      'a test label never seen in training',
      { 'd.csv': ok, 't.csv': `${header}\n1,2,north\n3,4,west\n` },
      add('--test', 't.csv'),
      1,
      /t\.csv: line 3: the label is "west", a class the training data does not have/,
    ],
    [
      'more rows than the memory budget holds',
      { 'd.csv': ok },
      add('--max-memory-percent', '0.0001'),
      1,
      /d\.csv: more rows than fit in half the memory left under the budget \(--max-memory-percent 0\.0001\): 0 rows of 2 features fit/,
    ],
    ['a missing file', {}, same, 1, /cannot read .*d\.csv: no such file or directory/],
    ['--data without --label', { 'd.csv': ok }, drop('--label'), 2, /--label: is needed with --data/],
    ['--label without --data', {}, drop('--data'), 2, /--label: applies to a --data file/],
    [
      '--data with --data-dir',
      { 'd.csv': ok },
      add('--data-dir', '.'),
      2,
      /--data: cannot go with --data-dir/,
    ],
    [
      '--augment on rows',
      { 'd.csv': ok },
      add('--augment'),
      2,
      /--augment: warps images: it does not apply to feature rows/,
    ],
    [
      'a regression target that is not a number',
      { 'd.csv': ok },
      add('--task', 'regression'),
      1,
      /d\.csv: line 2, the label column \(kind\) is "[a-z]+": a regression target must be a finite number/,
    ],
    [
      '--task regression on images',
      {},
      (args) => [...drop('--label')(drop('--data')(args)), '--task', 'regression'],
      2,
      /--task: regression applies to rows of features \(--data or in-memory data\), not images/,
    ],
  ];
  it.each(cases)('%s: one line, its exit code, nothing written', (name, files, change, code, message) => {
    const dir = mkdtempSync(join(root, 'case-'));
    for (const [n, text] of Object.entries(files)) writeFileSync(join(dir, n), text);
    const base = ['train', '--data', 'd.csv', '--label', 'kind', '--out', 'run', ...quick];
    const result = spawnSync(process.execPath, [bin, ...change(base)], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    expect(result.status, result.stderr).toBe(code);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(existsSync(join(dir, 'run')), `${name}: a run directory was made`).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(files).sort());
  });
});
