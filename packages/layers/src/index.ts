export { createMlp, withDropout } from './createMlp.js';
export { Dense, type DenseOptions } from './dense.js';
export { Dropout } from './dropout.js';
export { Sigmoid, Tanh } from './elementwiseActivation.js';
export { type Evaluation, evaluate, evaluateFeatures, featureBatch } from './evaluate.js';
export { type GrowOptions, type GrowthStrategy, grow, type ParameterGrowth } from './grow.js';
export type { Layer, LayerInput } from './layer.js';
export { MeanSquaredError } from './meanSquaredError.js';
export {
  loadModel,
  MODEL_FORMAT_VERSION,
  ModelFormatError,
  type ModelMetadata,
  readModelFile,
  type SaveModelOptions,
  saveModel,
} from './modelFile.js';
export { Parameter } from './parameter.js';
export { featureProbabilities, probabilities } from './probabilities.js';
export { dequantizeInt8, type Int8Matrix, quantizeInt8 } from './quantize.js';
export { ReLU } from './relu.js';
export { Sequential } from './sequential.js';
export { SoftmaxCrossEntropy, type SoftmaxCrossEntropyOptions } from './softmaxCrossEntropyLoss.js';
