import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBundledMnist } from '@sprout/data-mnist';
import { probabilities } from '@sprout/layers';
import { expect, it } from 'vitest';
import { loadSavedModel } from '../savedModel.js';
import { argmax, maxAbsDiff, onnxProbabilities, tfjsProbabilities } from '../test-support/exportRuntimes.js';
import { train } from '../trainer.js';
import { exportSaved } from './exportSaved.js';

// A really trained model (the whole training set, a few epochs) and the whole 10,000-image test
// set: every export reproduces Sprout's probabilities in its own runtime, and int8 costs at most
// 0.3 points of accuracy.
it('TF.js and ONNX exports, float and int8, reproduce Sprout on the whole MNIST test set', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'sprout-export-'));
  await train({
    outDir,
    epochs: 3,
    hidden: [256],
    initialHidden: [256],
    augment: false,
    report: false,
    backend: 'cpu',
  });
  const { test } = await loadBundledMnist();
  const x = Float32Array.from(test.images, (v) => v / 255);
  const accuracy = (p: Float32Array) =>
    argmax(p, 10).filter((c, i) => c === test.labels[i]).length / test.count;
  const sproutOf = async (dir: string) => {
    const saved = await loadSavedModel(dir, 'cpu');
    const p = probabilities(saved.model, test.images, test.count, 784);
    saved.dispose();
    return p;
  };
  const float = await sproutOf(outDir);
  expect(accuracy(float)).toBeGreaterThan(0.96);
  for (const int8 of [false, true]) {
    const to = (format: string) => join(outDir, `${format}-${int8}`);
    await exportSaved({ outDir, format: 'sprout', to: to('sprout'), int8 });
    await exportSaved({ outDir, format: 'tfjs', to: to('tfjs'), int8 });
    await exportSaved({ outDir, format: 'onnx', to: to('onnx'), int8 });
    const sprout = await sproutOf(to('sprout'));
    if (int8) expect(Math.abs(accuracy(sprout) - accuracy(float))).toBeLessThanOrEqual(0.003);
    else expect(sprout).toEqual(float);
    for (const runtime of [
      await tfjsProbabilities(to('tfjs'), x, test.count),
      await onnxProbabilities(join(to('onnx'), 'model.onnx'), x, test.count),
    ]) {
      expect(maxAbsDiff(runtime, sprout)).toBeLessThan(1e-5);
      // The same class for every image, but for an exact near-tie (which rounding may break either way).
      const [a, b] = [argmax(runtime, 10), argmax(sprout, 10)];
      const differ = [...a.keys()].filter((i) => a[i] !== b[i]);
      for (const i of differ)
        expect(Math.abs(sprout[i * 10 + a[i]] - sprout[i * 10 + b[i]])).toBeLessThan(2e-5);
    }
  }
});
