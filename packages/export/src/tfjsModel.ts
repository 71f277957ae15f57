import type { DenseSpec } from './denseStack.js';

/** A TensorFlow.js Layers model: `model.json` and the weights file it names. */
export interface TfjsModel {
  modelJson: string;
  weights: Uint8Array;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: { dtype: 'uint8'; scale: number; min: number };
}

/** A model's input standardisation, `(x − mean) / std` per feature, done first by the export. */
export interface InputStandardization {
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
}

/** A regression model's output in the target's units: `value = output·std + mean`. */
export interface TargetScale {
  mean: number;
  std: number;
}

/** The file `model.json` points to for the weights. */
export const TFJS_WEIGHTS_FILE = 'weights.bin';

/**
 * Writes Dense layers as a TensorFlow.js Layers `Sequential` (`tf.loadLayersModel` reads it) that
 * takes `[batch, inputs]` floats (pixels scaled to [0, 1], or raw features with `standardize`,
 * which the model then standardises first) and outputs class probabilities.
 *
 * Float32: one Dense per layer (ReLU inside, softmax on the last). Int8: TF.js quantizes a weight
 * tensor with one affine scale, Sprout's int8 has one scale per unit, so each layer becomes a
 * bias-free Dense whose kernel holds the int8 values themselves (uint8 storage, scale 1, min
 * −128: exact), a BatchNormalization that is only the per-unit affine map (gamma = the scales,
 * beta = the bias, mean 0, variance 1, epsilon 0) and an Activation — the same weights Sprout's
 * int8 model computes with, in a quarter of the bytes.
 */
export function toTfjs(
  layers: DenseSpec[],
  generatedBy: string,
  options: { standardize?: InputStandardization; target?: TargetScale } = {},
): TfjsModel {
  const config: Record<string, unknown>[] = [];
  const specs: WeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  const floats = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const { standardize } = options;
  if (standardize) {
    // (x − mean) / std as a BatchNormalization in inference form: moving mean = the mean,
    // variance 1, epsilon 0, gamma = 1/std, beta 0.
    const n = standardize.mean.length;
    config.push(affine('standardize', { batch_input_shape: [null, n] }));
    for (const [weight, values] of [
      ['gamma', Float32Array.from(standardize.std, (s) => 1 / s)],
      ['beta', new Float32Array(n)],
      ['moving_mean', Float32Array.from(standardize.mean)],
      ['moving_variance', new Float32Array(n).fill(1)],
    ] as const) {
      specs.push({ name: `standardize/${weight}`, shape: [n], dtype: 'float32' });
      chunks.push(floats(values));
    }
  }
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1;
    const activation = last ? (options.target ? 'linear' : 'softmax') : layer.relu ? 'relu' : 'linear';
    const inputShape = i === 0 && !standardize ? { batch_input_shape: [null, layer.inputs] } : {};
    const shape = { kernel: [layer.inputs, layer.units], units: [layer.units] };
    if (!layer.int8) {
      config.push(dense(layer.name, layer.units, activation, true, inputShape));
      specs.push({ name: `${layer.name}/kernel`, shape: shape.kernel, dtype: 'float32' });
      specs.push({ name: `${layer.name}/bias`, shape: shape.units, dtype: 'float32' });
      chunks.push(floats(layer.kernel), floats(layer.bias));
      return;
    }
    const [kernelName, scaleName] = [`${layer.name}_int8`, `${layer.name}_scale`];
    config.push(dense(kernelName, layer.units, 'linear', false, inputShape));
    config.push(affine(scaleName, {}));
    config.push({
      class_name: 'Activation',
      config: { name: `${layer.name}_${activation}`, activation, trainable: false, dtype: 'float32' },
    });
    specs.push({
      name: `${kernelName}/kernel`,
      shape: shape.kernel,
      dtype: 'float32',
      quantization: { dtype: 'uint8', scale: 1, min: -128 },
    });
    chunks.push(Uint8Array.from(layer.int8.q, (q) => q + 128));
    for (const [weight, values] of [
      ['gamma', layer.int8.scales],
      ['beta', layer.bias],
      ['moving_mean', new Float32Array(layer.units)],
      ['moving_variance', new Float32Array(layer.units).fill(1)],
    ] as const) {
      specs.push({ name: `${scaleName}/${weight}`, shape: shape.units, dtype: 'float32' });
      chunks.push(floats(values));
    }
  });
  if (options.target) {
    // A regression: the linear output back in the target's units, as an affine map.
    config.push(affine('target', {}));
    for (const [weight, value] of [
      ['gamma', options.target.std],
      ['beta', options.target.mean],
      ['moving_mean', 0],
      ['moving_variance', 1],
    ] as const) {
      specs.push({ name: `target/${weight}`, shape: [1], dtype: 'float32' });
      chunks.push(floats(Float32Array.of(value)));
    }
  }
  const weights = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    weights.set(c, at);
    at += c.length;
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'sprout', layers: config },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: specs }],
  };
  return { modelJson: `${JSON.stringify(modelJson, null, 1)}\n`, weights };
}

/** A BatchNormalization that is only a per-unit affine map (its weights say which). */
function affine(name: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    class_name: 'BatchNormalization',
    config: {
      name,
      axis: -1,
      momentum: 0.99,
      epsilon: 0,
      center: true,
      scale: true,
      trainable: false,
      dtype: 'float32',
      ...extra,
    },
  };
}

function dense(
  name: string,
  units: number,
  activation: string,
  useBias: boolean,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    class_name: 'Dense',
    config: {
      name,
      units,
      activation,
      use_bias: useBias,
      kernel_initializer: { class_name: 'Zeros', config: {} },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
      trainable: true,
      dtype: 'float32',
      ...extra,
    },
  };
}
