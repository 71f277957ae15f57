import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { DatasetError } from './errors.js';
import { classIds, type FeatureTable, regressionTargets } from './featureTable.js';
import { readFailure } from './readFailure.js';

/** Options of {@link readCsvRows}. */
export interface CsvRowsOptions {
  /** The label column's name: it must be there (`labelRequired`), else it is skipped where it is. */
  label?: string;
  labelRequired?: boolean;
  /**
   * The feature columns a model was trained on: the file must have exactly these (the label
   * aside), in any order; rows come back in this order.
   */
  featureNames?: string[];
  /**
   * The most memory the rows may take, counted as {@link CSV_BYTES_PER_VALUE} a feature value and
   * {@link CSV_BYTES_PER_ROW} a row; more rows than fit is an error that says how many fit
   * (`maxBytesWhy`: where the limit comes from).
   */
  maxBytes?: number;
  maxBytesWhy?: string;
}

/**
 * Bytes a feature value costs a run: the value as read, standardised, and once more while the
 * train and dev rows are gathered.
 */
export const CSV_BYTES_PER_VALUE = 12;
/** Bytes a row costs besides its values: its label text, line number and class id. */
export const CSV_BYTES_PER_ROW = 64;

/** A CSV file's feature rows, and its label column's raw values where it has one. */
export interface CsvRows {
  /** The values as read (float64: standardise before narrowing to float32). */
  x: Float64Array;
  count: number;
  features: number;
  featureNames: string[];
  /** The label column's values (trimmed), null without a label column. */
  labels: string[] | null;
  /** The file's line of each row (for errors about a row found later, such as its label). */
  lines: Int32Array;
}

/**
 * Reads a CSV file with a header row, streamed: every column but the label must hold numbers. An
 * empty, non-numeric or non-finite value, a row with too few or too many fields, a missing label
 * column or columns other than `featureNames` are errors naming the file, line and column.
 * Quoted fields, CRLF line ends, a byte-order mark and blank lines are fine.
 */
export async function readCsvRows(file: string, options: CsvRowsOptions = {}): Promise<CsvRows> {
  await stat(file).then(
    (s) => {
      if (s.isDirectory()) throw readFailure(file, Object.assign(new Error(), { code: 'EISDIR' }));
    },
    (error) => {
      throw readFailure(file, error);
    },
  );
  const parser = createReadStream(file).pipe(
    parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true, trim: true }),
  );
  let header: string[] | null = null;
  let take: Int32Array = new Int32Array(0);
  let labelAt = -1;
  let features = 0;
  let x = new Float64Array(1024);
  let lines = new Int32Array(64);
  const labels: string[] = [];
  let count = 0;
  let maxRows = Number.POSITIVE_INFINITY;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const line = info.lines;
      if (!header) {
        header = record;
        ({ take, labelAt, features } = columnsOf(file, header, options));
        if (options.maxBytes !== undefined)
          maxRows = Math.floor(options.maxBytes / (features * CSV_BYTES_PER_VALUE + CSV_BYTES_PER_ROW));
        continue;
      }
      if (record.length !== header.length)
        throw new DatasetError(
          `${file}: line ${line} has ${record.length} fields, the header ${header.length}: every row needs one value per column`,
        );
      if (count >= maxRows)
        throw new DatasetError(
          `${file}: more rows than fit ${options.maxBytesWhy ?? 'in memory'}: ${maxRows.toLocaleString('en-US')} rows of ${features} features fit (stopped reading at line ${line})`,
        );
      if ((count + 1) * features > x.length) {
        const grown = new Float64Array(Math.max(x.length * 2, (count + 1) * features));
        grown.set(x);
        x = grown;
      }
      if (count >= lines.length) {
        const grown = new Int32Array(lines.length * 2);
        grown.set(lines);
        lines = grown;
      }
      for (let f = 0; f < features; f++) {
        const column = take[f];
        x[count * features + f] = numberAt(file, line, column, header[column], record[column]);
      }
      if (labelAt >= 0 && options.labelRequired) {
        if (record[labelAt] === '')
          throw new DatasetError(
            `${file}: line ${line}, column ${labelAt + 1} (${header[labelAt]}): the label is empty`,
          );
        labels.push(record[labelAt]);
      }
      lines[count] = line;
      count++;
    }
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const e = error as Error & { code?: string; lines?: number };
    if (typeof e.code === 'string' && e.code.startsWith('CSV_'))
      throw new DatasetError(
        `${file}: line ${e.lines ?? '?'}: not valid CSV (${e.message.replace(/\.$/, '')})`,
      );
    throw readFailure(file, error);
  }
  if (!header) throw new DatasetError(`${file}: empty: expected a header row, then one row per example`);
  if (count === 0) throw new DatasetError(`${file}: a header but no rows`);
  const featureNames = options.featureNames ?? Array.from(take, (column) => header[column]);
  return {
    x: x.slice(0, count * features),
    count,
    features,
    featureNames,
    labels: labelAt >= 0 && options.labelRequired ? labels : null,
    lines: lines.slice(0, count),
  };
}

/** Which column holds each feature (in the output's order) and which the label. */
function columnsOf(file: string, header: string[], options: CsvRowsOptions) {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '')
      throw new DatasetError(`${file}: line 1, column ${i + 1}: the header has no name for it`);
    if (seen.has(name)) throw new DatasetError(`${file}: line 1: the header names "${name}" twice`);
    seen.add(name);
  });
  const labelAt = options.label === undefined ? -1 : header.indexOf(options.label);
  if (labelAt < 0 && options.labelRequired)
    throw new DatasetError(
      `${file}: no column "${options.label}" for the labels; the header has ${header.map((h) => `"${h}"`).join(', ')}`,
    );
  const own = header.map((_, i) => i).filter((i) => i !== labelAt);
  if (!options.featureNames) {
    if (own.length === 0)
      throw new DatasetError(`${file}: no feature columns besides the label "${options.label}"`);
    return { take: Int32Array.from(own), labelAt, features: own.length };
  }
  const expected = options.featureNames;
  const missing = expected.filter((name) => !header.includes(name));
  const extra = own.map((i) => header[i]).filter((name) => !expected.includes(name));
  if (missing.length || extra.length)
    throw new DatasetError(
      `${file}: its columns differ from the training data's: ${[
        missing.length ? `missing ${missing.map((n) => `"${n}"`).join(', ')}` : '',
        extra.length ? `not in training ${extra.map((n) => `"${n}"`).join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
    );
  return {
    take: Int32Array.from(expected, (name) => header.indexOf(name)),
    labelAt,
    features: expected.length,
  };
}

function numberAt(file: string, line: number, column: number, name: string, text: string): number {
  const value = text === '' ? Number.NaN : Number(text);
  if (Number.isFinite(value)) return value;
  const what = text === '' ? 'is empty' : `is ${JSON.stringify(text)}`;
  throw new DatasetError(
    `${file}: line ${line}, column ${column + 1} (${name}) ${what}: expected a finite number (every column but the label is a feature)`,
  );
}

/** Options of {@link readCsvTable}. */
export interface CsvTableOptions extends Omit<CsvRowsOptions, 'label' | 'labelRequired'> {
  /** The column holding each row's class (numbers or names). */
  label: string;
  /** The classes a test file's labels must come from: the training table's `classNamesOf`. */
  classNames?: string[];
  /** The label column holds numbers to predict (regression), not classes. */
  regression?: boolean;
}

/**
 * A labelled {@link FeatureTable} from a CSV file (see {@link readCsvRows}): the `label` column
 * holds classes (ids 0..k−1, or names, which are numbered in sorted order).
 *
 * @example
 * ```ts
 * const train = await readCsvTable('iris.csv', { label: 'species' });
 * const test = await readCsvTable('iris-test.csv', { label: 'species', classNames: classNamesOf(train), featureNames: train.featureNames });
 * ```
 */
export async function readCsvTable(file: string, options: CsvTableOptions): Promise<FeatureTable> {
  const rows = await readCsvRows(file, { ...options, labelRequired: true });
  const raw = rows.labels as string[];
  if (options.regression) {
    const targets = regressionTargets(
      raw,
      (row) => `${file}: line ${rows.lines[row]}, the label column (${options.label})`,
    );
    return {
      kind: 'features',
      x: rows.x,
      labels: new Uint8Array(rows.count),
      count: rows.count,
      features: rows.features,
      classes: 1,
      featureNames: rows.featureNames,
      targets,
      source: file,
    };
  }
  const { labels, names, identity } = classIds(
    raw,
    options.classNames,
    file,
    (row) => `line ${rows.lines[row]}: the label`,
  );
  return {
    kind: 'features',
    x: rows.x,
    labels,
    count: rows.count,
    features: rows.features,
    classes: names.length,
    featureNames: rows.featureNames,
    ...(identity ? {} : { classNames: names }),
    source: file,
  };
}
