import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundledMnist } from '@sprout/data-mnist';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';

// `sprout predict` and `sprout export` through the built binary, on a small real-MNIST run.
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const run = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
const tmp = () => mkdtempSync(join(tmpdir(), 'sprout-cli-'));
const COUNT = 40;

describe('sprout predict and export', () => {
  const out = tmp();
  const images = tmp();
  const files: string[] = [];
  const labels: number[] = [];

  beforeAll(async () => {
    const trained = run([
      'train',
      ...['--train-limit', '6000', '--dev-size', '500', '--test-limit', String(COUNT), '--epochs', '2'],
      ...['--final-hidden-size', '64', '--backend', 'cpu', '--no-report', '--out', out],
    ]);
    expect(trained.status, trained.stderr).toBe(0);
    // The first test digits as files: 28×28 light-on-dark PNGs, as MNIST stores them.
    const mnist = await loadBundledMnist();
    for (let k = 0; k < COUNT; k++) {
      const png = new PNG({ width: 28, height: 28 });
      for (let i = 0; i < 784; i++)
        png.data.set([...Array(3).fill(mnist.test.images[k * 784 + i]), 255], 4 * i);
      files.push(join(images, `digit-${k}.png`));
      labels.push(mnist.test.labels[k]);
      writeFileSync(files[k], PNG.sync.write(png));
    }
  });

  it('labels test digits written as PNG files with the accuracy --evaluate gives them', () => {
    const r = run(['predict', '--out', out, '--json', ...files]);
    expect(r.status, r.stderr).toBe(0);
    const predictions = JSON.parse(r.stdout) as {
      file: string;
      top: { class: number; probability: number }[];
    }[];
    expect(predictions.map((p) => p.file)).toEqual(files);
    const correct = predictions.filter((p, k) => p.top[0].class === labels[k]).length;
    const evaluated = run(['--evaluate', '--out', out, '--test-limit', String(COUNT), '--json']);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(correct / COUNT).toBeCloseTo(JSON.parse(evaluated.stdout).testAccuracy, 10);
    expect(r.stderr).toMatch(/digit-0\.png: \d \(/);
  });

  it('--top k: k classes per image, most likely first, probabilities summing to at most 1', () => {
    const r = run(['predict', '--out', out, '--top', '3', '--json', files[0], files[1]]);
    expect(r.status, r.stderr).toBe(0);
    for (const p of JSON.parse(r.stdout)) {
      expect(p.top).toHaveLength(3);
      expect(p.top[0].probability).toBeGreaterThanOrEqual(p.top[1].probability);
      expect(
        p.top.reduce((s: number, t: { probability: number }) => s + t.probability, 0),
      ).toBeLessThanOrEqual(1 + 1e-6);
    }
  });

  it('fails clearly on files that are not images, missing files and bad flags (exit 2)', () => {
    const text = join(images, 'notes.txt');
    writeFileSync(text, 'not an image');
    for (const [args, message] of [
      [
        ['predict', '--out', out, files[0], text],
        `sprout: error: ${text}: not a PNG or PGM image (it starts with bytes 6e 6f 74 20)\n`,
      ],
      [
        ['predict', '--out', out, join(images, 'missing.png')],
        /^sprout: error: cannot read the image .*missing\.png: .*\n$/,
      ],
      [['predict', '--out', out, '--top', '0', files[0]], 'sprout: error: --top must be at least 1, got 0\n'],
      [['predict', '--out', out], /^sprout: error: missing required argument 'image'\n$/],
      [
        ['export', '--out', out, '--to', images],
        /^sprout: error: required option '--format <format>' not specified\n$/,
      ],
      [
        ['export', '--out', out, '--to', images, '--format', 'keras'],
        /^sprout: error: option '--format <format>' argument 'keras' is invalid\. Allowed choices are tfjs, onnx, sprout\.\n$/,
      ],
    ] as const) {
      const r = run([...args]);
      expect(r.status, r.stderr).toBe(2);
      if (typeof message === 'string') expect(r.stderr).toBe(message);
      else expect(r.stderr).toMatch(message);
    }
  });

  it('exports TF.js and ONNX files, float and int8, and refuses to overwrite without --overwrite', () => {
    const to = tmp();
    for (const [format, file] of [
      ['tfjs', 'model.json'],
      ['onnx', 'model.onnx'],
    ]) {
      for (const int8 of [false, true]) {
        const dir = join(to, `${format}-${int8}`);
        const r = run([
          'export',
          '--out',
          out,
          '--format',
          format,
          '--to',
          dir,
          '--json',
          ...(int8 ? ['--int8'] : []),
        ]);
        expect(r.status, r.stderr).toBe(0);
        const result = JSON.parse(r.stdout);
        expect(result).toMatchObject({ format, int8 });
        expect(existsSync(join(dir, file))).toBe(true);
      }
    }
    const again = run(['export', '--out', out, '--format', 'onnx', '--to', join(to, 'onnx-false')]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(
      /model\.onnx already exists: choose another --to, or give --overwrite to replace it/,
    );
    const replaced = run([
      'export',
      '--out',
      out,
      '--format',
      'onnx',
      '--to',
      join(to, 'onnx-false'),
      '--overwrite',
    ]);
    expect(replaced.status, replaced.stderr).toBe(0);
  });

  it('an int8 model.sprout is evaluated and used for predictions like any run', () => {
    const dir = join(tmp(), 'int8');
    mkdirSync(dir);
    const r = run(['export', '--out', out, '--format', 'sprout', '--int8', '--to', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'model.sprout')).length).toBeLessThan(
      readFileSync(join(out, 'model.sprout')).length / 3,
    );
    const [float, int8] = [out, dir].map((d) => JSON.parse(run(['--evaluate', '--out', d, '--json']).stdout));
    expect(Math.abs(int8.testAccuracy - float.testAccuracy)).toBeLessThanOrEqual(0.05); // 2 of 40 images
    const p = run(['predict', '--out', dir, files[0]]);
    expect(p.status, p.stderr).toBe(0);
  });

  it('each command has its own --help; the top-level help lists them', () => {
    const top = run(['--help']);
    expect(top.stdout).toMatch(/Commands \(sprout <command> --help for each\)/);
    expect(top.stdout).toMatch(/--epochs <n>/);
    expect(run(['predict', '--help']).stdout).toMatch(/centre of mass centred in 28×28/);
    const help = run(['export', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--int8/);
    // The two options export cannot do without say so.
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/--format <format> required:/);
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/--to <dir> required:/);
    // tune's help points at the example spaces where this installation keeps them.
    const examples = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples');
    const tuneHelp = run(['tune', '--help']).stdout.replace(/\s+/g, '');
    expect(tuneHelp).toContain(`${examples}/tune-quick.json`.replace(/\s+/g, ''));
    expect(existsSync(join(examples, 'tune-quick.json'))).toBe(true);
    // evaluate and continue are commands too (the flags stay).
    expect(top.stdout).toMatch(/evaluate \[--out <dir>\]/);
    expect(top.stdout).toMatch(/continue \[--out <dir>\]/);
  });
});
