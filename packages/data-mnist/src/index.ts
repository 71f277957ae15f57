export { type InkBox, inkBox } from './affineWarp.js';
export {
  type AugmentOptions,
  applyAugmentation,
  augmentImage,
  augmentRecordLength,
  drawAugmentation,
} from './augment.js';
export { type AugmentBatch, type Batch, Batches, type BatchOptions, toFloat } from './batches.js';
export { bundledMnistDir, loadBundledMnist, MNIST_DATA_HINT, MNIST_FILES } from './bundledMnist.js';
export { type CroppedImages, croppedImages, type ImageSet } from './croppedImages.js';
export {
  CLASS_NAMES_FILE,
  type ImageDataset,
  type LabeledImages,
  loadIdxDirectory,
  readLabeledImages,
} from './dataset.js';
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
export { labeledImages } from './labeledImages.js';
export { loadDataset } from './loadDataset.js';
export { type NormalizeDigitOptions, normalizeDigit } from './normalizeDigit.js';
export { parseIdx } from './parseIdx.js';
export {
  CSV_BYTES_PER_ROW,
  CSV_BYTES_PER_VALUE,
  type CsvRows,
  type CsvRowsOptions,
  type CsvTableOptions,
  readCsvRows,
  readCsvTable,
} from './readCsv.js';
export { type IdxArray, readIdx } from './readIdx.js';
export { decodeImage, type GrayImage } from './readImage.js';
export {
  type DigitCell,
  type DigitGridOptions,
  renderDigitGridPng,
  renderDigitGridSvg,
} from './renderDigits.js';
export { type Split, stratifiedSplit } from './split.js';
export { fitStandardization, type Standardization, standardize } from './standardize.js';
