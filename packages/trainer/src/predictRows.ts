import {
  classNamesOf,
  type FeatureRowsInput,
  featureTable,
  readCsvRows,
  standardize,
} from '@sprout/data-mnist';
import { featureProbabilities, type ModelMetadata } from '@sprout/layers';
import type { BackendChoice } from '@sprout/tensor';
import { DatasetMismatchError } from './errors.js';
import { predictValues } from './examples.js';
import { loadSavedModel, type SavedModel } from './savedModel.js';

/** One row's most likely class (or, from a regression model, its predicted `value`). */
export interface RowPrediction {
  /** A regression model's prediction, in the target's units (then `class` is 0 and `name` the number). */
  value?: number;
  /** The class id and, when the model has them, its name. */
  class: number;
  name: string;
  probability: number;
  /** The line of the CSV file the row is on (rows from arrays: their index). */
  line: number;
}

/** The model's feature metadata, or an error saying that it takes images. */
function featuresOf(
  saved: Pick<SavedModel, 'metadata' | 'modelFile'>,
): NonNullable<ModelMetadata['features']> {
  const { features } = saved.metadata;
  if (!features)
    throw new DatasetMismatchError(
      `${saved.modelFile} is a model of images, not of feature rows: give it image files`,
    );
  return features;
}

/**
 * Classifies rows of raw features with a saved model of feature rows: standardised as its
 * training rows were, then the most likely class of each with its probability.
 *
 * @example
 * ```ts
 * const saved = await loadSavedModel('runs/iris');
 * const [p] = predictFeatureRows(saved, [[5.1, 3.5, 1.4, 0.2]]);
 * console.log(p.name, p.probability); // setosa 0.99
 * ```
 */
export function predictFeatureRows(saved: SavedModel, x: FeatureRowsInput): RowPrediction[] {
  const features = featuresOf(saved);
  const classes = saved.model.widths[saved.model.widths.length - 1];
  // Checked as training's rows are; the labels are placeholders (one class), never read.
  const rows = x as ArrayLike<unknown>;
  const flat = rows.length > 0 && typeof rows[0] !== 'object';
  const count = flat ? Math.floor(rows.length / features.names.length) : rows.length;
  const table = featureTable(
    { x, y: new Array<number>(count).fill(0) },
    { features: features.names.length, classNames: ['0'], source: 'rows' },
  );
  return predictStandardised(saved, table.x, table.count, classes, (i) => i);
}

function predictStandardised(
  saved: SavedModel,
  raw: Float32Array | Float64Array,
  count: number,
  classes: number,
  lineOf: (row: number) => number,
): RowPrediction[] {
  const features = featuresOf(saved);
  const x = standardize(raw, features);
  const { target } = saved.metadata;
  if (target) {
    const values = predictValues(saved.model, x, count, features.names.length);
    return Array.from(values, (v, row) => {
      const value = v * target.std + target.mean;
      return { class: 0, name: String(value), probability: 1, value, line: lineOf(row) };
    });
  }
  const p = featureProbabilities(saved.model, x, count, features.names.length);
  const names = classNamesOf({ classes, classNames: saved.metadata.classNames });
  return Array.from({ length: count }, (_, row) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p[row * classes + c] > p[row * classes + best]) best = c;
    return { class: best, name: names[best], probability: p[row * classes + best], line: lineOf(row) };
  });
}

/**
 * Classifies the rows of a CSV file (a header row naming the model's feature columns, in any
 * order; its label column, if there, is ignored) with the model a run saved.
 *
 * @example
 * ```ts
 * const rows = await predictCsv({ outDir: 'runs/iris', file: 'new-flowers.csv' });
 * for (const r of rows) console.log(r.line, r.name, r.probability);
 * ```
 */
export async function predictCsv(options: {
  outDir: string;
  file: string;
  backend?: BackendChoice;
  threads?: 'auto' | number;
}): Promise<RowPrediction[]> {
  const saved = await loadSavedModel(options.outDir, {
    backend: options.backend ?? 'auto',
    threads: options.threads,
  });
  try {
    const features = featuresOf(saved);
    const rows = await readCsvRows(options.file, { featureNames: features.names, label: features.label });
    const classes = saved.model.widths[saved.model.widths.length - 1];
    return predictStandardised(saved, rows.x, rows.count, classes, (row) => rows.lines[row]);
  } finally {
    saved.dispose();
  }
}
