// `@sprout/trainer/internals`: what Sprout's own packages built on the trainer (`@sprout/tune`)
// share with it, so that they take a run directory, write files and draw charts exactly as
// `train()` does instead of keeping copies. Stable within a Sprout version, not beyond: programs
// outside Sprout should use the main entry.
export { checkpointPath } from './checkpoint.js';
export { resolveConfig } from './config.js';
export type { SameType } from './configTypes.js';
export type { VegaLiteSpec } from './report/charts.js';
export { renderChart } from './report/render.js';
export { ensureDirectory, fsErrorMessage, processAlive, writeFileAtomic } from './runFiles.js';
export { acquireRunLock, LOCK_FILE, runLockHolder } from './runLock.js';
export { identifyData } from './trainer.js';
