// `@sprout/trainer/core`: the training loop without files, for browsers and Web Workers (the docs
// demo) and for programs that keep their data and models in memory. `train()` runs the same loop.
export { resolveConfig } from './config.js';
export type { TrainConfig, TrainConfigInput, TrainOptionName } from './configTypes.js';
export { ConfigError, TrainingDivergedError } from './errors.js';
export type { BatchProgress, TrainHooks } from './events.js';
export type { EpochRecord } from './history.js';
export { learningRateSchedule } from './learningRateSchedule.js';
export { newSession, type Session } from './session.js';
export {
  type LoopData,
  type LoopMemory,
  type LoopOutcome,
  type LoopProgress,
  TrainingLoop,
  type TrainingLoopOptions,
} from './trainingLoop.js';
