export { type DenseSpec, denseStack } from './denseStack.js';
export { ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT, toOnnx } from './onnxModel.js';
export { TFJS_WEIGHTS_FILE, type TfjsModel, toTfjs } from './tfjsModel.js';
