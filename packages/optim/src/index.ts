export { Adam, type AdamOptions, AdamW } from './adam.js';
export { clipGradNorm } from './clipGradNorm.js';
export { type Optimizer, type OptimizerState, SlottedOptimizer } from './optimizer.js';
export { type GrowthMap, regrowState, remapEntries, type TrainableParameter } from './parameter.js';
export { SGD, type SgdOptions } from './sgd.js';
