import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '@sprout/data-mnist';
import { evaluate, loadModel } from '@sprout/layers';
import { createBackend } from '@sprout/tensor';
import { resolveConfig, type TrainConfigInput } from './config.js';
import { CheckpointError } from './errors.js';
import { type ClassificationReport, classificationReport } from './metrics.js';

/**
 * Loads `outDir/model.sprout`, evaluates it on the test set and writes `evaluation.json`.
 *
 * @example
 * ```ts
 * const { accuracy } = await evaluateSaved({ outDir: 'runs/latest' });
 * ```
 */
export async function evaluateSaved(
  input: TrainConfigInput = {},
): Promise<{ accuracy: number; loss: number; report: ClassificationReport; modelFile: string }> {
  const config = resolveConfig(input);
  const modelFile = join(config.outDir, 'model.sprout');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(modelFile);
  } catch {
    throw new CheckpointError(`no saved model at ${modelFile}: train first`);
  }
  const { backend } = await createBackend({ backend: config.backend });
  const model = loadModel(backend, bytes, modelFile);
  const data = await loadDataset({ dir: config.dataDir });
  const n = config.testLimit ? Math.min(config.testLimit, data.test.count) : data.test.count;
  const px = data.test.rows * data.test.cols;
  const result = evaluate(model, data.test.images.subarray(0, n * px), data.test.labels, n, px);
  const report = classificationReport(data.test.labels.subarray(0, n), result.predictions, data.classes);
  writeFileSync(
    join(config.outDir, 'evaluation.json'),
    `${JSON.stringify({ accuracy: result.accuracy, loss: result.loss, report }, null, 2)}\n`,
  );
  model.dispose();
  backend.dispose();
  return { accuracy: result.accuracy, loss: result.loss, report, modelFile };
}
