import { DatasetError } from './errors.js';

/**
 * Labelled rows of float features — the user's own tabular data, from arrays or a CSV file. Labels
 * are class ids 0..classes−1; `classNames` maps them back when the data named its classes.
 */
export interface FeatureTable {
  readonly kind: 'features';
  /**
   * `count × features` values, row after row: as read (float64, from a file or arrays) until
   * standardised, when they become the float32 a model takes.
   */
  x: Float32Array | Float64Array;
  labels: Uint8Array;
  count: number;
  features: number;
  /** Number of classes (ids 0..classes−1). */
  classes: number;
  /** One name per feature column (a CSV's header; `x0`, `x1`, … for arrays without names). */
  featureNames: string[];
  /** The class names in id order, when the labels were names (or numbers that are not 0..k−1). */
  classNames?: string[];
  /**
   * Regression: each row's number to predict (then `labels` are all 0 and `classes` is 1, so that
   * splits and batches treat every row alike).
   */
  targets?: Float64Array;
  /** Where the rows came from: a file, or "arrays". */
  source: string;
}

/** Rows of features as a user holds them: one flat array (with `features`) or an array of rows. */
export type FeatureRowsInput = Float32Array | Float64Array | number[] | ArrayLike<number>[];

/** The most classes a table may have (labels are bytes, as MNIST's). */
export const MAX_CLASSES = 256;

/** Options of {@link featureTable}. */
export interface FeatureTableOptions {
  /** Features per row; needed when `x` is one flat array. */
  features?: number;
  /** A name for each feature column. */
  featureNames?: string[];
  /**
   * The classes labels must come from (a test set takes its training set's {@link classNamesOf}):
   * each label maps to its index here; one not in it is an error.
   */
  classNames?: string[];
  /** What the data is called in errors (default "arrays"). */
  source?: string;
  /** `y` holds numbers to predict (regression), not classes. */
  regression?: boolean;
}

/**
 * Checks and packs a user's arrays into a {@link FeatureTable}: `x` as rows (or one flat array of
 * `features` floats a row) and `y` as integer class ids or class names (sorted, then numbered).
 * Every value must be a finite number; an error names the row and column.
 *
 * @example
 * ```ts
 * const table = featureTable({ x: [[5.1, 3.5], [6.2, 2.9]], y: ['setosa', 'versicolor'] });
 * table.classNames; // ['setosa', 'versicolor']
 * ```
 */
export function featureTable(
  data: { x: FeatureRowsInput; y: ArrayLike<number> | readonly string[] },
  options: FeatureTableOptions = {},
): FeatureTable {
  const source = options.source ?? 'arrays';
  const { values, count, features } = packRows(data.x, options.features, source);
  if (data.y.length !== count)
    throw new DatasetError(`${source}: x has ${count} rows but y has ${data.y.length} labels`);
  if (count === 0) throw new DatasetError(`${source}: no rows`);
  const featureNames = options.featureNames ?? Array.from({ length: features }, (_, i) => `x${i}`);
  if (featureNames.length !== features)
    throw new DatasetError(`${source}: ${featureNames.length} feature names for ${features} features`);
  if (options.regression) {
    const targets = regressionTargets(
      Array.from(data.y as ArrayLike<unknown>),
      (row) => `${source}: y[${row}]`,
    );
    return {
      kind: 'features',
      x: values,
      labels: new Uint8Array(count),
      count,
      features,
      classes: 1,
      featureNames,
      targets,
      source,
    };
  }
  const { labels, names, identity } = classIds(
    Array.from(data.y as ArrayLike<number | string>),
    options.classNames,
    source,
  );
  return {
    kind: 'features',
    x: values,
    labels,
    count,
    features,
    classes: names.length,
    featureNames,
    ...(identity ? {} : { classNames: names }),
    source,
  };
}

function packRows(
  x: FeatureRowsInput,
  declared: number | undefined,
  source: string,
): { values: Float64Array; count: number; features: number } {
  const rows = x as ArrayLike<unknown>;
  const nested = rows.length > 0 && typeof rows[0] === 'object' && rows[0] !== null;
  if (!nested) {
    const flat = x as ArrayLike<number>;
    if (declared === undefined || !Number.isInteger(declared) || declared < 1)
      throw new DatasetError(`${source}: x is one flat array: give features (the number of values in a row)`);
    if (flat.length % declared !== 0)
      throw new DatasetError(
        `${source}: x has ${flat.length} values, not a multiple of ${declared} features`,
      );
    const values = new Float64Array(flat.length);
    for (let i = 0; i < flat.length; i++) values[i] = numberOrNaN(flat[i]);
    checkFinite(values, declared, source, flat);
    return { values, count: flat.length / declared, features: declared };
  }
  const list = x as ArrayLike<ArrayLike<number>>;
  const features = declared ?? list[0].length;
  const values = new Float64Array(list.length * features);
  for (let r = 0; r < list.length; r++) {
    const row = list[r];
    if (!row || typeof row !== 'object')
      throw new DatasetError(`${source}: row ${r} is ${JSON.stringify(row)}, not an array of numbers`);
    if (row.length !== features)
      throw new DatasetError(`${source}: row ${r} has ${row.length} values, expected ${features}`);
    for (let c = 0; c < features; c++) values[r * features + c] = numberOrNaN(row[c]);
  }
  checkFinite(values, features, source, null, list);
  return { values, count: list.length, features };
}

/** A number stays itself; anything else (null, a string, undefined) is not a value: NaN. */
function numberOrNaN(v: unknown): number {
  return typeof v === 'number' ? v : Number.NaN;
}

/** Every value a finite number; else an error naming the row and feature, and what was there. */
function checkFinite(
  values: Float64Array,
  features: number,
  source: string,
  flat: ArrayLike<unknown> | null,
  rows?: ArrayLike<ArrayLike<unknown>>,
): void {
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) continue;
    const [r, c] = [Math.floor(i / features), i % features];
    const given = flat ? flat[i] : rows?.[r][c];
    const shown =
      typeof given === 'number' ? String(given) : given === undefined ? 'undefined' : JSON.stringify(given);
    throw new DatasetError(
      `${source}: row ${r}, feature ${c} is ${shown}: every feature must be a finite number`,
    );
  }
}

/**
 * Class ids for labels: integers 0..k−1 are their own ids; other labels (names, or numbers such as
 * 3..8) are sorted (numerically when all are numbers) and numbered, their names kept. Given
 * `known` names, labels map into them (an unknown one is an error).
 */
export function classIds(
  raw: (number | string)[],
  known: string[] | undefined,
  source: string,
  where: (row: number) => string = (row) => `label ${row}`,
): { labels: Uint8Array; names: string[]; identity: boolean } {
  const labels = new Uint8Array(raw.length);
  raw.forEach((value, row) => {
    const ok = typeof value === 'number' ? Number.isFinite(value) : typeof value === 'string' && value !== '';
    if (!ok)
      throw new DatasetError(
        `${source}: ${where(row)} is ${value === undefined ? 'undefined' : JSON.stringify(value)}: a class is a number (0, 1, …) or a non-empty name`,
      );
  });
  if (known) {
    const index = new Map(known.map((name, i) => [name, i]));
    raw.forEach((value, row) => {
      const id = index.get(String(value));
      if (id === undefined)
        throw new DatasetError(
          `${source}: ${where(row)} is ${JSON.stringify(String(value))}, a class the training data does not have (${listed(known)})`,
        );
      labels[row] = id;
    });
    return { labels, names: known, identity: known.every((name, i) => name === String(i)) };
  }
  const numbers = raw.map((v) =>
    typeof v === 'number' ? v : Number(String(v).trim() === '' ? Number.NaN : v),
  );
  const allNumbers = numbers.every((n) => Number.isFinite(n));
  const distinct = [...new Set(raw.map(String))];
  if (allNumbers) distinct.sort((a, b) => Number(a) - Number(b));
  else distinct.sort();
  const identity = allNumbers && distinct.every((name, i) => Number(name) === i);
  if (distinct.length > MAX_CLASSES)
    throw new DatasetError(`${source}: ${distinct.length} distinct labels; at most ${MAX_CLASSES} classes`);
  if (distinct.length < 2)
    throw new DatasetError(
      `${source}: every label is ${JSON.stringify(distinct[0] ?? '')}: a classifier needs at least two classes`,
    );
  const index = new Map(distinct.map((name, i) => [name, i]));
  raw.forEach((value, row) => {
    labels[row] = index.get(String(value)) as number;
  });
  return { labels, names: distinct, identity };
}

function listed(names: string[]): string {
  const shown = names.slice(0, 8).map((n) => JSON.stringify(n));
  return names.length > 8 ? `${shown.join(', ')}, …` : shown.join(', ');
}

/** A table's class names, `"0"`, `"1"`, … where its labels were the ids themselves. */
export function classNamesOf(table: Pick<FeatureTable, 'classes' | 'classNames'>): string[] {
  return table.classNames ?? Array.from({ length: table.classes }, (_, i) => String(i));
}

/**
 * A regression's targets: every one a finite number (a numeric string too, as a CSV holds them);
 * `where(row)` starts the error naming the one that is not.
 */
export function regressionTargets(raw: unknown[], where: (row: number) => string): Float64Array {
  const targets = new Float64Array(raw.length);
  raw.forEach((v, row) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    if (!Number.isFinite(n))
      throw new DatasetError(
        `${where(row)} is ${v === undefined ? 'undefined' : JSON.stringify(v)}: a regression target must be a finite number`,
      );
    targets[row] = n;
  });
  return targets;
}
