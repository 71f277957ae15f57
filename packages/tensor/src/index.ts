export type { AdamStep, Backend, BatchLabels } from './backend.js';
export { CpuBackend, type CpuBackendOptions, type ImageWarpBatch } from './cpu/cpuBackend.js';
export { enableRelaxedSimd, relaxedSimdSupported } from './cpu/kernels.js';
export {
  availableCores,
  envThreads,
  MAX_THREADS_PER_CORE,
  parseThreads,
  resolveThreadCount,
  type ThreadCount,
  type ThreadsOption,
} from './cpu/threadCount.js';
export { BackendUnavailableError, GpuContextLostError, ShapeError } from './errors.js';
export { GpuBackend, type GpuCounters, type GpuJsModule } from './gpu/gpuBackend.js';
export { type Initializer, initialValues, initTensor } from './init.js';
export { LossSums, type LossTotals } from './lossSums.js';
export { ADAM_GRAD_FLUSH, ADAM_STATE_FLUSH, PROBABILITY_FLUSH } from './numericLimits.js';
export { addBias, relu, reluBackward, softmax } from './ops/activation.js';
export { adamUpdate } from './ops/adamUpdate.js';
export { add, axpy, fill, scale, sub, sumSquares } from './ops/elementwise.js';
export { type MatmulOptions, matmul, sparseMatmul, sparseTransposeMatmul } from './ops/matmul.js';
export { argmaxRows, columnSums } from './ops/reduce.js';
export {
  type SoftmaxCrossEntropyOptions,
  type SoftmaxCrossEntropySumsOptions,
  softmaxCrossEntropy,
  softmaxCrossEntropySums,
} from './ops/softmaxCrossEntropy.js';
export { type ProbeShape, type ProbeStep, probeStep, timeProbeSteps } from './probeStep.js';
export { Random } from './random.js';
export {
  type BackendChoice,
  type BackendSelection,
  type CreateBackendOptions,
  createBackend,
  createCpuBackend,
  createGpuBackend,
  GPU_JS_HINT,
} from './select.js';
export { SparseRows } from './sparseRows.js';
export { fromArray, Tensor, zeros } from './tensor.js';
