import { join } from 'node:path';
import { classNamesOf, loadDataset, readCsvTable, standardize } from '@sprout/data-mnist';
import { type Evaluation, evaluate, evaluateFeatures } from '@sprout/layers';
import { checkpointPath, readCheckpoint } from './checkpoint.js';
import { resolveConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import { dataDirOf, datasetIdentity } from './datasetIdentity.js';
import { ConfigError, DatasetMismatchError } from './errors.js';
import { evaluateExamples, type RegressionEvaluation } from './examples.js';
import type { RegressionMetrics } from './history.js';
import { type ClassificationReport, classificationReport } from './metrics.js';
import { writeFileAtomic } from './runFiles.js';
import { loadSavedModel, type SavedModel } from './savedModel.js';
import { loadTabularData } from './tabularData.js';
import { regressionMetrics } from './writeRunOutputs.js';

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
  /** Test accuracy (a regression model: R²). */
  accuracy: number;
  /** Test loss (a regression model: the mean squared error in the target's units). */
  loss: number;
  /** Per-class metrics; null for a regression model. */
  report: ClassificationReport | null;
  /** A regression model's MSE, MAE and R² on the test rows. */
  regression?: RegressionMetrics;
  modelFile: string;
  dataset: string;
}> {
  const config = resolveConfig(input);
  const saved = await loadSavedModel(config.outDir, { backend: config.backend, threads: config.threads });
  try {
    const { model, metadata, modelFile } = saved;
    if (metadata.features) return await evaluateFeatureModel(saved, config, input);
    if (input.csv !== undefined || input.testCsv !== undefined)
      throw new DatasetMismatchError(
        `the model in ${config.outDir} takes images, not CSV rows: evaluate it on IDX files (--data-dir)`,
      );
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
    return scored(config.outDir, result, data.test.labels.subarray(0, n), classes, modelFile, where);
  } finally {
    saved.dispose();
  }
}

/** The report of an evaluation, written to `evaluation.json` and returned. */
function scored(
  outDir: string,
  result: Evaluation,
  labels: Uint8Array,
  classes: number,
  modelFile: string,
  where: string,
) {
  const report = classificationReport(labels, result.predictions, classes);
  writeFileAtomic(
    join(outDir, 'evaluation.json'),
    `${JSON.stringify({ accuracy: result.accuracy, loss: result.loss, dataset: where, report }, null, 2)}\n`,
  );
  return { accuracy: result.accuracy, loss: result.loss, report, modelFile, dataset: where };
}

/**
 * A model of feature rows: on another CSV file (`csv`, every row a test row, standardised by the
 * model's own statistics), or on its own test set, made again from its run's checkpoint (the same
 * file and split) and checked against the hash the model keeps.
 */
async function evaluateFeatureModel(saved: SavedModel, config: TrainConfig, input: TrainConfigInput) {
  const { model, metadata, modelFile } = saved;
  const features = metadata.features as NonNullable<typeof metadata.features>;
  const classes = model.widths[model.widths.length - 1];
  if (input.dataDir !== undefined)
    throw new DatasetMismatchError(
      `the model in ${config.outDir} takes rows of ${features.names.length} features, not images: evaluate it on a CSV file (--data, --label)`,
    );
  // Another file: --test (or --data) names it; every row is a test row.
  const file = input.testCsv ?? input.csv;
  if (file !== undefined) {
    const label = input.label ?? features.label;
    if (label === undefined)
      throw new ConfigError('label', 'is needed with {csv}: the column that holds the classes');
    const table = await readCsvTable(file, {
      label,
      classNames: classNamesOf({ classes, classNames: metadata.classNames }),
      featureNames: features.names,
      regression: metadata.target !== undefined,
    });
    const n = config.testLimit ? Math.min(config.testLimit, table.count) : table.count;
    const x = standardize(table.x.subarray(0, n * table.features), features);
    if (metadata.target && table.targets) {
      const { mean, std } = metadata.target;
      const targets = Float64Array.from(table.targets.subarray(0, n), (v) => (v - mean) / std);
      return scoredRegression(saved, config.outDir, { x, targets, count: n, features: table.features }, file);
    }
    const result = evaluateFeatures(model, x, table.labels, n, table.features);
    return scored(config.outDir, result, table.labels.subarray(0, n), classes, modelFile, file);
  }
  if (input.label !== undefined) throw new ConfigError('label', 'applies to a {csv} file to evaluate on');
  const trained = trainedConfig(config.outDir);
  if (!trained?.csv)
    throw new DatasetMismatchError(
      `the model in ${config.outDir} was trained on in-memory rows (or its checkpoint is gone): give a CSV file to evaluate it on (--data, --label)`,
    );
  const { data, dataset } = await loadTabularData(
    { ...trained, testLimit: config.testLimit || trained.testLimit, evaluateTest: true },
    undefined,
    { bytes: Number.POSITIVE_INFINITY, why: '' },
  );
  if (metadata.dataset && dataset.sha256 !== metadata.dataset.sha256)
    throw new DatasetMismatchError(
      `the data in ${dataset.source} changed since the model in ${config.outDir} was trained on it; give --data to evaluate on another file on purpose`,
    );
  const where = trained.testCsv ?? `the test split of ${trained.csv}`;
  if (metadata.target && data.test.targets)
    return scoredRegression(saved, config.outDir, { ...data.test, targets: data.test.targets }, where);
  const result = evaluateFeatures(model, data.test.x, data.test.labels, data.test.count, data.test.features);
  return scored(config.outDir, result, data.test.labels, classes, modelFile, where);
}

/**
 * A regression model's test metrics (in the target's units) on standardised rows and targets,
 * written to `evaluation.json`. `accuracy` is R² and `report` null there.
 */
function scoredRegression(
  saved: SavedModel,
  outDir: string,
  rows: { x: Float32Array; targets: Float64Array; count: number; features: number },
  where: string,
) {
  const target = saved.metadata.target as { mean: number; std: number };
  const evaluation = evaluateExamples(
    saved.model,
    { kind: 'features', labels: new Uint8Array(rows.count), ...rows },
    rows.features,
  ) as RegressionEvaluation;
  const regression = regressionMetrics(evaluation, rows.targets, target);
  writeFileAtomic(
    join(outDir, 'evaluation.json'),
    `${JSON.stringify({ dataset: where, regression }, null, 2)}\n`,
  );
  return {
    accuracy: regression.r2,
    loss: regression.mse,
    report: null,
    regression,
    modelFile: saved.modelFile,
    dataset: where,
  };
}

/** For models saved before they recorded their dataset: the run's checkpoint knows it. */
function trainedDataDir(outDir: string): string | undefined {
  return trainedConfig(outDir)?.dataDir;
}

/** The config of the run in `outDir`, from its checkpoint (undefined without one). */
function trainedConfig(outDir: string): TrainConfig | undefined {
  try {
    return resolveConfig(readCheckpoint(checkpointPath(outDir)).state.config);
  } catch {
    return undefined;
  }
}
