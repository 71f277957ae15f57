import { join } from 'node:path';
import { loadDataset } from '@sprout/data-mnist';
import { evaluate } from '@sprout/layers';
import { checkpointPath, readCheckpoint } from './checkpoint.js';
import { resolveConfig, type TrainConfigInput } from './config.js';
import { dataDirOf, datasetIdentity } from './datasetIdentity.js';
import { DatasetMismatchError } from './errors.js';
import { type ClassificationReport, classificationReport } from './metrics.js';
import { writeFileAtomic } from './runFiles.js';
import { loadSavedModel } from './savedModel.js';

/** IDX labels are bytes. */
const MAX_CLASSES = 256;

/**
 * Loads `outDir/model.sprout`, evaluates it on the test set and writes `evaluation.json`.
 *
 * The test set is the one the model was trained on (recorded in the model, or in the run's
 * checkpoint for models from before it was), unless `dataDir` names another; a dataset whose image
 * size or classes do not fit the model is refused.
 *
 * @example
 * ```ts
 * const { accuracy } = await evaluateSaved({ outDir: 'runs/latest' });
 * ```
 */
export async function evaluateSaved(input: TrainConfigInput = {}): Promise<{
  accuracy: number;
  loss: number;
  report: ClassificationReport;
  modelFile: string;
  dataset: string;
}> {
  const config = resolveConfig(input);
  const saved = await loadSavedModel(config.outDir, { backend: config.backend, threads: config.threads });
  try {
    const { model, metadata, modelFile } = saved;
    const dataDir =
      input.dataDir ?? (metadata.dataset ? dataDirOf(metadata.dataset) : trainedDataDir(config.outDir));
    // Evaluation only needs every test label to be one the model can output (checked below); the
    // training-label checks (no class without examples) are for training.
    const data = await loadDataset({ dir: dataDir, classes: input.classes ?? MAX_CLASSES });
    const where = dataDir === undefined ? 'the bundled MNIST' : dataDir;
    // Its own dataset (not one named with dataDir on purpose) must still be the one it learned.
    if (input.dataDir === undefined && metadata.dataset) {
      const now = datasetIdentity(data, dataDir);
      if (now.sha256 !== metadata.dataset.sha256)
        throw new DatasetMismatchError(
          `the data in ${where} changed since the model in ${config.outDir} was trained on it; give --data-dir to evaluate on other data on purpose`,
        );
    }
    const [pixels, classes] = [model.widths[0], model.widths[model.widths.length - 1]];
    const px = data.test.rows * data.test.cols;
    if (px !== pixels) {
      const size = metadata.input
        ? `${metadata.input.rows}×${metadata.input.cols} images`
        : `${pixels} pixels`;
      throw new DatasetMismatchError(
        `${where} has ${data.test.rows}×${data.test.cols} images but the model in ${config.outDir} takes ${size}`,
      );
    }
    let maxLabel = 0;
    for (const label of data.test.labels) maxLabel = Math.max(maxLabel, label);
    if (maxLabel >= classes) {
      throw new DatasetMismatchError(
        `${where} has test labels up to ${maxLabel} (${maxLabel + 1} classes) but the model in ${config.outDir} outputs ${classes} classes`,
      );
    }
    const n = config.testLimit ? Math.min(config.testLimit, data.test.count) : data.test.count;
    const result = evaluate(model, data.test.images.subarray(0, n * px), data.test.labels, n, px);
    const report = classificationReport(data.test.labels.subarray(0, n), result.predictions, classes);
    writeFileAtomic(
      join(config.outDir, 'evaluation.json'),
      `${JSON.stringify({ accuracy: result.accuracy, loss: result.loss, dataset: where, report }, null, 2)}\n`,
    );
    return { accuracy: result.accuracy, loss: result.loss, report, modelFile, dataset: where };
  } finally {
    saved.dispose();
  }
}

/** For models saved before they recorded their dataset: the run's checkpoint knows it. */
function trainedDataDir(outDir: string): string | undefined {
  try {
    return readCheckpoint(checkpointPath(outDir)).state.config.dataDir;
  } catch {
    return undefined;
  }
}
