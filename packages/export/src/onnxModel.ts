import type { DenseSpec } from './denseStack.js';
import { ONNX_SCHEMA } from './onnxSchema.js';
import type { InputStandardization, TargetScale } from './tfjsModel.js';

/** ONNX opset the exported graph uses (Gemm, Relu, Softmax on the last axis, per-axis DequantizeLinear). */
export const ONNX_OPSET = 13;
/** IR version that goes with opset 13. */
const IR_VERSION = 7;
const FLOAT = 1;
const INT8 = 3;
const ATTRIBUTE_INT = 2;

/** Names of the exported graph's input and output. */
export const ONNX_INPUT = 'pixels';
/** The input's name in a model of feature rows (one exported with `standardize`). */
export const ONNX_FEATURES_INPUT = 'features';
export const ONNX_OUTPUT = 'probabilities';
/** The output's name in a regression model (one exported with `target`). */
export const ONNX_VALUE_OUTPUT = 'value';

/**
 * Writes Dense layers as an ONNX model (opset 13), encoded by protobufjs from the ONNX schema
 * ({@link ONNX_SCHEMA}): input `pixels` `[batch, inputs]` floats scaled to [0, 1] (or, with
 * `standardize`, `features`: raw values, which `Sub` and `Div` standardise first), output
 * `probabilities` `[batch, classes]`. Each layer is a `Gemm` (x·W + b), then `Relu`, and `Softmax`
 * at the end. Int8: each kernel is an int8 initializer with per-unit scales and zero points 0,
 * turned into floats by the standard `DequantizeLinear` (axis 1, the unit axis) before its `Gemm`
 * — the weights-only "QDQ" form ONNX Runtime and other runtimes read.
 */
export async function toOnnx(
  layers: DenseSpec[],
  producerVersion: string,
  options: { standardize?: InputStandardization; target?: TargetScale } = {},
): Promise<Uint8Array> {
  const protobuf = await import('protobufjs/light.js');
  const root = (protobuf.Root ?? protobuf.default.Root).fromJSON(ONNX_SCHEMA);
  const Model = root.lookupType('onnx.ModelProto');
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const tensor = (name: string, dims: number[], dataType: number, data: ArrayBufferView) => ({
    name,
    dims,
    dataType,
    rawData: bytes(data),
  });
  const node = (
    opType: string,
    input: string[],
    output: string[],
    attribute: Record<string, number> = {},
  ) => ({
    opType,
    input,
    output,
    name: output[0],
    attribute: Object.entries(attribute).map(([name, i]) => ({ name, i, type: ATTRIBUTE_INT })),
  });
  const valueInfo = (name: string, units: number) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: units }] } } },
  });
  const initializer: ReturnType<typeof tensor>[] = [];
  const nodes: ReturnType<typeof node>[] = [];
  const { standardize } = options;
  const input = standardize ? ONNX_FEATURES_INPUT : ONNX_INPUT;
  let x = input;
  if (standardize) {
    const n = standardize.mean.length;
    initializer.push(
      tensor('standardize.mean', [n], FLOAT, Float32Array.from(standardize.mean)),
      tensor('standardize.std', [n], FLOAT, Float32Array.from(standardize.std)),
    );
    nodes.push(node('Sub', [x, 'standardize.mean'], ['standardize.centred']));
    nodes.push(node('Div', ['standardize.centred', 'standardize.std'], ['standardize.out']));
    x = 'standardize.out';
  }
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1;
    const kernel = `${layer.name}.kernel`;
    if (layer.int8) {
      initializer.push(
        tensor(`${kernel}.int8`, [layer.inputs, layer.units], INT8, layer.int8.q),
        tensor(`${kernel}.scale`, [layer.units], FLOAT, layer.int8.scales),
        tensor(`${kernel}.zero_point`, [layer.units], INT8, new Int8Array(layer.units)),
      );
      nodes.push(
        node('DequantizeLinear', [`${kernel}.int8`, `${kernel}.scale`, `${kernel}.zero_point`], [kernel], {
          axis: 1,
        }),
      );
    } else {
      initializer.push(tensor(kernel, [layer.inputs, layer.units], FLOAT, layer.kernel));
    }
    initializer.push(tensor(`${layer.name}.bias`, [layer.units], FLOAT, layer.bias));
    const y = last ? `${layer.name}.logits` : `${layer.name}.out`;
    nodes.push(node('Gemm', [x, kernel, `${layer.name}.bias`], [y]));
    x = y;
    if (!last && layer.relu) {
      nodes.push(node('Relu', [y], [`${layer.name}.relu`]));
      x = `${layer.name}.relu`;
    }
  });
  const { target } = options;
  const output = target ? ONNX_VALUE_OUTPUT : ONNX_OUTPUT;
  if (target) {
    // A regression: the linear output mapped back to the target's units, value = y·std + mean.
    initializer.push(
      tensor('target.std', [1], FLOAT, Float32Array.of(target.std)),
      tensor('target.mean', [1], FLOAT, Float32Array.of(target.mean)),
    );
    nodes.push(node('Mul', [x, 'target.std'], ['target.scaled']));
    nodes.push(node('Add', ['target.scaled', 'target.mean'], [ONNX_VALUE_OUTPUT]));
  } else nodes.push(node('Softmax', [x], [ONNX_OUTPUT], { axis: -1 }));
  const model = {
    irVersion: IR_VERSION,
    producerName: 'sprout',
    producerVersion,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: 'sprout',
      node: nodes,
      initializer,
      input: [valueInfo(input, layers[0].inputs)],
      output: [valueInfo(output, layers[layers.length - 1].units)],
    },
  };
  // A schema/field mismatch is a bug here, not the user's: say so rather than write a bad file.
  const problem = Model.verify(model);
  if (problem) throw new Error(`ONNX export produced an invalid model: ${problem}`);
  return Model.encode(Model.fromObject(model)).finish();
}
