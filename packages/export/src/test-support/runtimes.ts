// Test-only: the real runtimes, reading exported models from memory (trainer's tests read the
// files `sprout export` writes).
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import type { TfjsModel } from '../tfjsModel.js';

/** Class probabilities of `count` rows of `x` through a TF.js Layers model held in memory. */
export async function tfjsProbabilities(
  model: TfjsModel,
  x: Float32Array,
  count: number,
): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const json = JSON.parse(model.modelJson);
  const loaded = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: model.weights.slice().buffer,
    }),
  );
  const input = tf.tensor2d(x, [count, x.length / count]);
  const output = loaded.predict(input) as tf.Tensor;
  const values = Float32Array.from(output.dataSync());
  tf.dispose([input, output]);
  loaded.dispose();
  return values;
}

/** The same through ONNX Runtime (its WebAssembly build, as a browser runs it). */
export async function onnxProbabilities(
  bytes: Uint8Array,
  x: Float32Array,
  count: number,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const result = await session.run({ pixels: new ort.Tensor('float32', x, [count, x.length / count]) });
  const values = Float32Array.from(result.probabilities.data as Float32Array);
  await session.release();
  return values;
}
