export { Adam, type AdamOptions, AdamW, type OptimizerState } from './adam.js';
export { clipGradNorm } from './clipGradNorm.js';
export { type GrowthMap, regrowState, remapEntries, type TrainableParameter } from './parameter.js';
export { SGD, type SgdOptions } from './sgd.js';
