// `@sprout/data-mnist/browser`: what runs in a browser or a Web Worker — no file system, no PNG
// codec. Files come as bytes (fetch them, decompress with DecompressionStream).
export { type AugmentOptions, augmentImage } from './augment.js';
export { type AugmentBatch, type Batch, Batches, type BatchOptions } from './batches.js';
export { type CroppedImages, croppedImages, type ImageSet } from './croppedImages.js';
export { DatasetError, IdxFormatError, ImageFormatError } from './errors.js';
export { type FeatureBatch, FeatureBatches, gatherRows } from './featureBatches.js';
export {
  classIds,
  classNamesOf,
  type FeatureRowsInput,
  type FeatureTable,
  type FeatureTableOptions,
  featureTable,
  MAX_CLASSES,
  regressionTargets,
} from './featureTable.js';
export { type LabeledImages, labeledImages } from './labeledImages.js';
export { type NormalizeDigitOptions, normalizeDigit } from './normalizeDigit.js';
export { parseIdx } from './parseIdx.js';
export type { GrayImage } from './readImage.js';
export { type Split, stratifiedSplit } from './split.js';
export { fitStandardization, type Standardization, standardize } from './standardize.js';
