import { createMlp, Dense, loadModel, probabilities, Sequential, Sigmoid, saveModel } from '@sprout/layers';
import { createCpuBackend, Random } from '@sprout/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { denseStack } from './denseStack.js';
import { ONNX_INPUT, ONNX_OUTPUT, toOnnx } from './onnxModel.js';
import { onnxProbabilities, tfjsProbabilities } from './test-support/runtimes.js';
import { TFJS_WEIGHTS_FILE, toTfjs } from './tfjsModel.js';

// Nets of awkward widths on MNIST-like bytes: each export, run by its own runtime, computes what
// @sprout/layers computes (float32), or what Sprout's int8 model file computes (int8).
const backend = createCpuBackend({ threads: false });
afterAll(() => backend.dispose());
const count = 13;
const images = Uint8Array.from({ length: count * 784 }, (_, i) =>
  (i * 7919) % 256 < 60 ? (i * 31) % 256 : 0,
);
const x = Float32Array.from(images, (v) => v / 255);
const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((d, v, i) => Math.max(d, Math.abs(v - b[i])), 0);

describe.each([
  ['784-33-7-10', [33, 7]],
  ['784-1-10', [1]],
  ['784-127-10', [127]],
])('a %s net', (_, hidden) => {
  const model = createMlp(backend, { inputs: 784, hidden, outputs: 10, rng: new Random(hidden[0]) });

  it.each([false, true])(
    'int8 %s: TF.js and ONNX Runtime compute its probabilities within 1e-5',
    async (int8) => {
      // The reference: the model itself, or the int8 model Sprout's own file holds.
      const reference = int8
        ? probabilities(loadModel(backend, saveModel(model, undefined, { int8: true })), images, count, 784)
        : probabilities(model, images, count, 784);
      const layers = denseStack(model, int8);
      expect(layers.map((l) => l.units)).toEqual([...hidden, 10]);
      const tfjs = toTfjs(layers, 'test');
      expect(JSON.parse(tfjs.modelJson).weightsManifest[0].paths).toEqual([TFJS_WEIGHTS_FILE]);
      expect(maxAbsDiff(await tfjsProbabilities(tfjs, x, count), reference)).toBeLessThan(1e-5);
      const onnx = await toOnnx(layers, 'test');
      expect(maxAbsDiff(await onnxProbabilities(onnx, x, count), reference)).toBeLessThan(1e-5);
      expect([ONNX_INPUT, ONNX_OUTPUT]).toEqual(['pixels', 'probabilities']);
    },
  );
});

it('int8 exports are about a quarter of the float ones', async () => {
  const model = createMlp(backend, { inputs: 784, hidden: [64], outputs: 10, rng: new Random(2) });
  const [float, int8] = [denseStack(model, false), denseStack(model, true)];
  expect(toTfjs(int8, 't').weights.length / toTfjs(float, 't').weights.length).toBeLessThan(0.3);
  expect((await toOnnx(int8, 't')).length / (await toOnnx(float, 't')).length).toBeLessThan(0.3);
});

it('refuses a layer the writers cannot write, rather than dropping it', () => {
  const rng = new Random(1);
  const model = new Sequential([new Dense(backend, 3, 4, rng), new Sigmoid(), new Dense(backend, 4, 2, rng)]);
  expect(() => denseStack(model, false)).toThrow(/cannot export a sigmoid layer/);
});
