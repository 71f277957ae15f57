export { ImageFormatError } from '@sprout/data-mnist';
export { MemoryBudgetError, MemoryLimitExceededError } from '@sprout/memwatch';
export {
  availableCores,
  enableRelaxedSimd,
  envThreads,
  MAX_THREADS_PER_CORE,
  parseThreads,
  resolveThreadCount,
} from '@sprout/tensor';
export { CHECKPOINT_VERSION, type CheckpointState, checkpointPath, readCheckpoint } from './checkpoint.js';
// The file-system-free loop and what it takes (`@sprout/trainer/core`), all of it here too.
export * from './core.js';
export { BUNDLED_MNIST, type DatasetIdentity } from './datasetIdentity.js';
export {
  BackendLostError,
  CheckpointError,
  DatasetMismatchError,
  RunDirectoryError,
  RunFileError,
} from './errors.js';
export { evaluateSaved } from './evaluateSaved.js';
export { EXPORT_FILES, type ExportFormat, exportSaved } from './export/exportSaved.js';
export type { TrainResult } from './history.js';
export { type ClassificationReport, classificationReport } from './metrics.js';
export {
  flagOf,
  nameOptions,
  type OptionInfo,
  type OptionValue,
  optionsWhere,
  TRAIN_OPTION_INFO,
} from './options.js';
export { type ImagePrediction, predictImages } from './predictImages.js';
export { predictCsv, predictFeatureRows, type RowPrediction } from './predictRows.js';
export { PRESETS, type PresetName } from './presets.js';
export { loadSavedModel, type SavedModel } from './savedModel.js';
export {
  type LabelledRows,
  TABULAR_DEFAULTS,
  type TabularData,
  TEST_SHARE,
} from './tabularData.js';
export { type TrainOptions, train } from './trainer.js';
export { isUsageError } from './usageError.js';
export { SPROUT_VERSION } from './version.js';
