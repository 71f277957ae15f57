import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, IdxFormatError } from './errors.js';
import { type LabeledImages, labeledImages } from './labeledImages.js';
import { readFailure } from './readFailure.js';
import { readIdx } from './readIdx.js';

export type { LabeledImages } from './labeledImages.js';

/** A train and a test set with the number of classes found in the labels. */
export interface ImageDataset {
  train: LabeledImages;
  test: LabeledImages;
  classes: number;
  /** Where the files came from. */
  source: string;
  /** Names of the classes, from the directory's `classes.txt` (one per line, in label order). */
  classNames?: string[];
}

/** The class names file a dataset directory may hold. */
export const CLASS_NAMES_FILE = 'classes.txt';

/** Reads one images+labels pair and checks that they agree. */
export async function readLabeledImages(
  imagesFile: string,
  labelsFile: string,
  _maxClasses = 256,
): Promise<LabeledImages> {
  const [images, labels] = await Promise.all([readIdx(imagesFile, 2051), readIdx(labelsFile, 2049)]);
  return labeledImages(images, labels, imagesFile, labelsFile);
}

const PATTERNS = {
  trainImages: /train-images[-.]idx3-ubyte(\.gz)?$/,
  trainLabels: /train-labels[-.]idx1-ubyte(\.gz)?$/,
  testImages: /(t10k|test)-images[-.]idx3-ubyte(\.gz)?$/,
  testLabels: /(t10k|test)-labels[-.]idx1-ubyte(\.gz)?$/,
};

/**
 * Loads any directory of MNIST-format IDX files, plain or `.gz` (MNIST, Fashion-MNIST, KMNIST,
 * EMNIST-digits…). The number of classes is read from the labels, which must form a sensible set:
 * every class from 0 to the largest label has a training example, so a stray label (a 200 among
 * digits) is reported with its file, index and value instead of silently making a 201-class model.
 * A dataset whose classes really are not all present gives their number as `classes`.
 */
export async function loadIdxDirectory(
  dir: string,
  options: { classes?: number } = {},
): Promise<ImageDataset> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'ENOTDIR'
          ? 'is not a directory'
          : `cannot be read (${code})`;
    throw new DatasetError(`data directory ${dir} ${why}`);
  }
  const find = (key: keyof typeof PATTERNS) => {
    const name = names.find((n) => PATTERNS[key].test(n));
    if (!name)
      throw new DatasetError(`${dir}: no file matching ${PATTERNS[key]} (need train/t10k images and labels)`);
    return join(dir, name);
  };
  const train = await readLabeledImages(find('trainImages'), find('trainLabels'));
  const test = await readLabeledImages(find('testImages'), find('testLabels'));
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DatasetError(
      `${dir}: train images are ${train.rows}×${train.cols}, test ${test.rows}×${test.cols}`,
    );
  }
  const classes = checkClasses(train.labels, find('trainLabels'), options.classes);
  // A test label the model cannot output cannot be scored: say so instead of mis-scoring.
  const unseen = test.labels.findIndex((l) => l >= classes);
  if (unseen >= 0) {
    throw new IdxFormatError(
      find('testLabels'),
      LABELS_OFFSET + unseen,
      `a label in 0..${classes - 1} (the training labels' classes)`,
      `${test.labels[unseen]} (label index ${unseen})`,
    );
  }
  const classNames = await readClassNames(dir, names, classes);
  return { train, test, classes, source: dir, ...(classNames ? { classNames } : {}) };
}

/** `classes.txt`: one name per line (blank lines at the end ignored), exactly one per class. */
async function readClassNames(dir: string, names: string[], classes: number): Promise<string[] | undefined> {
  if (!names.includes(CLASS_NAMES_FILE)) return undefined;
  const file = join(dir, CLASS_NAMES_FILE);
  const text = await readFile(file, 'utf8').catch((error) => {
    throw readFailure(file, error);
  });
  const lines = text
    .replace(/\s+$/, '')
    .split(/\r?\n/)
    .map((l) => l.trim());
  if (lines.length !== classes || lines.some((l) => l === ''))
    throw new DatasetError(
      `${file}: expected ${classes} class names, one per line, found ${lines.filter((l) => l !== '').length}`,
    );
  return lines;
}

/** Byte offset of the first label in an IDX1 labels file. */
const LABELS_OFFSET = 8;

/** The class count the training labels imply, or an error naming the label that does not fit. */
function checkClasses(labels: Uint8Array, file: string, declared?: number): number {
  if (declared !== undefined) {
    const outside = labels.findIndex((l) => l >= declared);
    if (outside >= 0)
      throw new IdxFormatError(
        file,
        LABELS_OFFSET + outside,
        `a label in 0..${declared - 1} (${declared} classes declared)`,
        `${labels[outside]} (label index ${outside})`,
      );
    return declared;
  }
  const counts = new Uint32Array(256);
  for (const l of labels) counts[l]++;
  let max = 0;
  for (let c = 0; c < 256; c++) if (counts[c] > 0) max = c;
  const firstEmpty = counts.findIndex((n, c) => c <= max && n === 0);
  if (firstEmpty >= 0) {
    // The smallest label above the gap is the one that does not belong.
    let stray = firstEmpty;
    while (counts[stray] === 0) stray++;
    const index = labels.indexOf(stray);
    throw new IdxFormatError(
      file,
      LABELS_OFFSET + index,
      `labels forming classes 0..${firstEmpty - 1} (no training example has a label from ${firstEmpty} to ${stray - 1}); if the dataset really has ${max + 1} classes, declare them (--classes ${max + 1})`,
      `${stray} (label index ${index})`,
    );
  }
  return max + 1;
}
