// `@sprout/trainer/browser`: the parts that need no file system, for browsers and Web Workers
// (the docs demo offers its trained model as a TF.js download with these).
export { type DenseSpec, denseStack } from './export/denseStack.js';
export { TFJS_WEIGHTS_FILE, type TfjsModel, toTfjs } from './export/tfjsModel.js';
