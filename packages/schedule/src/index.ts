export {
  EarlyStopping,
  type EarlyStoppingDecision,
  type EarlyStoppingOptions,
  type Mode,
} from './earlyStopping.js';
export { type GrowthScheduleOptions, growthSchedule } from './growthSchedule.js';
export {
  constant,
  cosine,
  linearWarmup,
  type OneCycleOptions,
  offset,
  oneCycle,
  type Schedule,
  stepDecay,
  type WarmupDecayOptions,
  warmupDecay,
} from './learningRate.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduceLrOnPlateau.js';
