import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, IdxFormatError } from './errors.js';
import { readIdx } from './readIdx.js';

/** Images (n×rows×cols bytes) with their labels. */
export interface LabeledImages {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/** A train and a test set with the number of classes found in the labels. */
export interface ImageDataset {
  train: LabeledImages;
  test: LabeledImages;
  classes: number;
  /** Where the files came from. */
  source: string;
}

/** Reads one images+labels pair and checks that they agree. */
export async function readLabeledImages(
  imagesFile: string,
  labelsFile: string,
  _maxClasses = 256,
): Promise<LabeledImages> {
  const [images, labels] = await Promise.all([readIdx(imagesFile, 2051), readIdx(labelsFile, 2049)]);
  if (images.dims.length !== 3) {
    throw new IdxFormatError(imagesFile, 3, '3 dimensions (count, rows, cols)', String(images.dims.length));
  }
  if (labels.dims.length !== 1)
    throw new IdxFormatError(labelsFile, 3, '1 dimension', String(labels.dims.length));
  if (images.dims[0] !== labels.dims[0]) {
    throw new DatasetError(
      `${imagesFile} holds ${images.dims[0]} images but ${labelsFile} holds ${labels.dims[0]} labels`,
    );
  }
  return {
    images: images.data,
    labels: labels.data,
    count: images.dims[0],
    rows: images.dims[1],
    cols: images.dims[2],
  };
}

const PATTERNS = {
  trainImages: /train-images[-.]idx3-ubyte(\.gz)?$/,
  trainLabels: /train-labels[-.]idx1-ubyte(\.gz)?$/,
  testImages: /(t10k|test)-images[-.]idx3-ubyte(\.gz)?$/,
  testLabels: /(t10k|test)-labels[-.]idx1-ubyte(\.gz)?$/,
};

/**
 * Loads any directory of MNIST-format IDX files, plain or `.gz` (MNIST, Fashion-MNIST, KMNIST,
 * EMNIST-digits…). The number of classes is read from the labels.
 */
export async function loadIdxDirectory(dir: string): Promise<ImageDataset> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new DatasetError(`data directory ${dir} cannot be read`);
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
  let max = 0;
  for (const l of train.labels) max = Math.max(max, l);
  // A test label the training set never shows cannot be learned: say so instead of mis-scoring.
  const unseen = test.labels.findIndex((l) => l > max);
  if (unseen >= 0) {
    throw new IdxFormatError(
      find('testLabels'),
      8 + unseen,
      `a label in 0..${max} (the training labels' range)`,
      String(test.labels[unseen]),
    );
  }
  return { train, test, classes: max + 1, source: dir };
}
