import { DatasetError, IdxFormatError } from './errors.js';
import type { IdxArray } from './readIdx.js';

/** Images (n×rows×cols bytes) with their labels. */
export interface LabeledImages {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/**
 * One images file and one labels file, read (from disk or fetched), as a labeled set: checks that
 * the images have 3 dimensions, the labels 1, and that they count the same. Errors name the files.
 *
 * @example
 * ```ts
 * const test = labeledImages(parseIdx(imageBytes, 't10k-images'), parseIdx(labelBytes, 't10k-labels'), 't10k-images', 't10k-labels');
 * ```
 */
export function labeledImages(
  images: IdxArray,
  labels: IdxArray,
  imagesFile: string,
  labelsFile: string,
): LabeledImages {
  if (images.dims.length !== 3)
    throw new IdxFormatError(imagesFile, 3, '3 dimensions (count, rows, cols)', String(images.dims.length));
  if (labels.dims.length !== 1)
    throw new IdxFormatError(labelsFile, 3, '1 dimension', String(labels.dims.length));
  if (images.dims[0] !== labels.dims[0])
    throw new DatasetError(
      `${imagesFile} holds ${images.dims[0]} images but ${labelsFile} holds ${labels.dims[0]} labels`,
    );
  return {
    images: images.data,
    labels: labels.data,
    count: images.dims[0],
    rows: images.dims[1],
    cols: images.dims[2],
  };
}
