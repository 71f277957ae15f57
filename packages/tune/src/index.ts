export { Asha, type AshaJob, type AshaOptions, type RungResult, rungEpochs } from './asha.js';
export { parseSearchSpace, readSearchSpace, sampleConfigurations } from './searchSpace.js';
export type { Distribution, SearchSpace } from './spaceTypes.js';
export { runTrialWorker, type TrialJob, type TrialMessage } from './trialWorker.js';
export { type TuneOptions, type TuneResult, tune } from './tune.js';
export { summaryTable } from './tuneReport.js';
export { type TrialRecord, TUNE_STATE_FILE, type TuneState } from './tuneState.js';
