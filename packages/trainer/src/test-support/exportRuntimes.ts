import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Runs an exported TF.js Layers model (model.json + weights in `dir`) with TensorFlow.js itself. */
export async function tfjsProbabilities(dir: string, x: Float32Array, count: number): Promise<Float32Array> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const [manifest] = json.weightsManifest;
  const weights = readFileSync(join(dir, manifest.paths[0]));
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: manifest.weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  const input = tf.tensor2d(x, [count, x.length / count]);
  const output = model.predict(input) as import('@tensorflow/tfjs').Tensor;
  const values = Float32Array.from(output.dataSync());
  tf.dispose([input, output]);
  model.dispose();
  return values;
}

/** Runs an exported ONNX model with ONNX Runtime (onnxruntime-web's WebAssembly build). */
export async function onnxProbabilities(file: string, x: Float32Array, count: number): Promise<Float32Array> {
  const ort = await import('onnxruntime-web');
  const session = await ort.InferenceSession.create(readFileSync(file));
  // The graph's one input: `pixels` for images, `features` for feature rows.
  const out = await session.run({
    [session.inputNames[0]]: new ort.Tensor('float32', x, [count, x.length / count]),
  });
  const values = Float32Array.from(out[session.outputNames[0]].data as Float32Array);
  await session.release();
  return values;
}

/** Largest |a − b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** The most likely class of each row of `count × classes` probabilities. */
export function argmax(p: ArrayLike<number>, classes: number): Int32Array {
  const out = new Int32Array(p.length / classes);
  for (let r = 0; r < out.length; r++)
    for (let c = 1; c < classes; c++) if (p[r * classes + c] > p[r * classes + out[r]]) out[r] = c;
  return out;
}
