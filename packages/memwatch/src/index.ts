export { type CgroupPaths, readCgroupMemoryLimit } from './cgroup.js';
export { MemoryBudgetError, MemoryLimitExceededError } from './errors.js';
export { type MemoryLevel, MemoryWatch, type MemoryWatchOptions, type TimelineEntry } from './memoryWatch.js';
export { type Budget, budgetBytes, parseBudget } from './parseBudget.js';
export { type MemorySample, memoryAvailableToProcess, type Sampler, sampleMemory } from './sampleMemory.js';
