import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMlp, probabilities, readModelFile, saveModel } from '@sprout/layers';
import { createCpuBackend, Random } from '@sprout/tensor';
import { describe, expect, it } from 'vitest';
import { RunDirectoryError } from '../errors.js';
import { maxAbsDiff, onnxProbabilities, tfjsProbabilities } from '../test-support/exportRuntimes.js';
import { exportSaved } from './exportSaved.js';

// A random 784-33-7-10 net (two hidden layers, awkward widths) and 31 MNIST-like images.
const backend = createCpuBackend({ threads: false });
const model = createMlp(backend, { inputs: 784, hidden: [33, 7], outputs: 10, rng: new Random(5) });
const count = 31;
const images = Uint8Array.from({ length: count * 784 }, (_, i) =>
  (i * 7919) % 256 < 60 ? (i * 31) % 256 : 0,
);
const x = Float32Array.from(images, (v) => v / 255);
const run = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sprout-export-'));
  writeFileSync(join(dir, 'model.sprout'), saveModel(model, { input: { rows: 28, cols: 28 }, classes: 10 }));
  return dir;
};

describe('exportSaved', () => {
  const float = probabilities(model, images, count, 784);

  it.each([false, true])(
    'int8 %s: the TF.js, ONNX and Sprout files compute the same probabilities',
    async (int8) => {
      const outDir = run();
      const sprout = join(outDir, 'sprout');
      await exportSaved({ outDir, format: 'sprout', to: sprout, int8 });
      const read = readModelFile(backend, readFileSync(join(sprout, 'model.sprout')));
      expect(read.int8).toBe(int8);
      const reference = probabilities(read.model, images, count, 784);
      if (!int8) expect(reference).toEqual(float);
      else expect(maxAbsDiff(reference, float)).toBeGreaterThan(0); // quantized: close, not equal
      await exportSaved({ outDir, format: 'tfjs', to: join(outDir, 'tfjs'), int8 });
      await exportSaved({ outDir, format: 'onnx', to: join(outDir, 'onnx'), int8 });
      expect(maxAbsDiff(await tfjsProbabilities(join(outDir, 'tfjs'), x, count), reference)).toBeLessThan(
        1e-5,
      );
      expect(
        maxAbsDiff(await onnxProbabilities(join(outDir, 'onnx', 'model.onnx'), x, count), reference),
      ).toBeLessThan(1e-5);
    },
  );

  it('int8 files are about a quarter of the float ones', async () => {
    const outDir = run();
    const size = (dir: string, files: string[]) =>
      files.reduce((n, f) => n + statSync(join(outDir, dir, f)).size, 0);
    for (const int8 of [false, true]) {
      await exportSaved({ outDir, format: 'onnx', to: join(outDir, `onnx-${int8}`), int8 });
      await exportSaved({ outDir, format: 'tfjs', to: join(outDir, `tfjs-${int8}`), int8 });
      await exportSaved({ outDir, format: 'sprout', to: join(outDir, `sprout-${int8}`), int8 });
    }
    expect(size('onnx-true', ['model.onnx']) / size('onnx-false', ['model.onnx'])).toBeLessThan(0.3);
    expect(size('tfjs-true', ['weights.bin']) / size('tfjs-false', ['weights.bin'])).toBeLessThan(0.3);
    expect(size('sprout-true', ['model.sprout']) / size('sprout-false', ['model.sprout'])).toBeLessThan(0.3);
  });

  it('refuses to overwrite files unless told, and never replaces the run’s own model', async () => {
    const outDir = run();
    const to = join(outDir, 'onnx');
    mkdirSync(to);
    writeFileSync(join(to, 'model.onnx'), 'keep me');
    await expect(exportSaved({ outDir, format: 'onnx', to })).rejects.toThrow(
      `${join(to, 'model.onnx')} already exists: choose another --to, or give --overwrite to replace it`,
    );
    expect(readFileSync(join(to, 'model.onnx'), 'utf8')).toBe('keep me');
    await exportSaved({ outDir, format: 'onnx', to, overwrite: true });
    expect(statSync(join(to, 'model.onnx')).size).toBeGreaterThan(1000);
    const own = readFileSync(join(outDir, 'model.sprout'));
    await expect(
      exportSaved({ outDir, format: 'sprout', to: outDir, int8: true, overwrite: true }),
    ).rejects.toThrow(RunDirectoryError);
    expect(readFileSync(join(outDir, 'model.sprout'))).toEqual(own);
  });

  it('says when there is no model to export', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sprout-export-'));
    await expect(exportSaved({ outDir: empty, format: 'tfjs', to: join(empty, 'x') })).rejects.toThrow(
      /no saved model at .*model\.sprout: train first/,
    );
  });
});
