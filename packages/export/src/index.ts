export { type DenseSpec, denseStack } from './denseStack.js';
export {
  ONNX_FEATURES_INPUT,
  ONNX_INPUT,
  ONNX_OPSET,
  ONNX_OUTPUT,
  ONNX_VALUE_OUTPUT,
  toOnnx,
} from './onnxModel.js';
export {
  type InputStandardization,
  type TargetScale,
  TFJS_WEIGHTS_FILE,
  type TfjsModel,
  toTfjs,
} from './tfjsModel.js';
