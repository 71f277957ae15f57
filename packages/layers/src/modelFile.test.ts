import { sha256 } from '@noble/hashes/sha2';
import { createCpuBackend, fromArray, Random } from '@sprout/tensor';
import { expect, it } from 'vitest';
import { createMlp } from './createMlp.js';
import { loadModel, ModelFormatError, readModelFile, saveModel } from './modelFile.js';
import { dequantizeInt8, quantizeInt8 } from './quantize.js';

const backend = createCpuBackend();
const model = createMlp(backend, { inputs: 7, hidden: [5], outputs: 3, rng: new Random(4) });
const x = fromArray(
  backend,
  Array.from({ length: 14 }, (_, i) => i / 14),
  [2, 7],
);

it('round-trips a model exactly', () => {
  const copy = loadModel(backend, saveModel(model));
  expect(copy.widths).toEqual([7, 5, 3]);
  expect(copy.forward(x).toArray()).toEqual(model.forward(x).toArray());
});

it('rejects truncated files, bad magic, bad versions and wrong shapes with ModelFormatError', () => {
  const bytes = saveModel(model);
  expect(() => loadModel(backend, bytes.subarray(0, bytes.length - 4), 'm.sprout')).toThrow(
    /m\.sprout: expected \d+ bytes/,
  );
  const bad = bytes.slice();
  bad[0] = 0;
  expect(() => loadModel(backend, bad)).toThrow(ModelFormatError);
  const headerLength = new DataView(bytes.buffer).getUint32(4, true);
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
  const weights = bytes.subarray(Math.ceil((8 + headerLength) / 4) * 4, bytes.length - 32);
  // The same weights behind an edited header, laid out the way saveModel lays them out, with a
  // checksum that fits (v2) or none (v1).
  const tamper = (text: string, checksum = true) => {
    const enc = new TextEncoder().encode(text);
    const dataStart = Math.ceil((8 + enc.length) / 4) * 4;
    const out = new Uint8Array(dataStart + weights.length + (checksum ? 32 : 0));
    const view = new DataView(out.buffer);
    view.setUint32(0, 0x4d525053, true);
    view.setUint32(4, enc.length, true);
    out.set(enc, 8);
    out.set(weights, dataStart);
    if (checksum) out.set(sha256(out.subarray(0, dataStart + weights.length)), dataStart + weights.length);
    return out;
  };
  expect(loadModel(backend, tamper(json)).forward(x).toArray()).toEqual(model.forward(x).toArray());
  expect(() => loadModel(backend, tamper(json.replace('"version":2', '"version":9')))).toThrow(/unsupported/);
  // The first weight matrix declared 5×7 instead of 7×5: same length, wrong shape.
  expect(json).toContain('"shape":[7,5]');
  expect(() =>
    loadModel(backend, tamper(json.replace('"shape":[7,5]', '"shape":[5,7]')), 'm.sprout'),
  ).toThrow(/m\.sprout: parameter 0 is .* \[5,7\] but the layers need .* \[7,5\]/);
  expect(() => loadModel(backend, tamper(json.replace('"shape":[7,5]', '"shape":[5,7]')))).toThrow(
    ModelFormatError,
  );
  expect(() => loadModel(backend, new Uint8Array(3))).toThrow(/too short/);
});

it('loads from a Node Buffer that is a view into a larger pool', () => {
  const bytes = saveModel(model);
  const pooled = Buffer.concat([Buffer.alloc(3), Buffer.from(bytes)]).subarray(3);
  expect(loadModel(backend, pooled).forward(x).toArray()).toEqual(model.forward(x).toArray());
});

it('refuses any changed byte, in the weights or the header, by its checksum (v2)', () => {
  const bytes = saveModel(model);
  const flipped = bytes.slice();
  flipped[bytes.length - 40] ^= 0x10; // a weight
  expect(() => loadModel(backend, flipped, 'm.sprout')).toThrow(/m\.sprout is corrupt: checksum mismatch/);
  const header = bytes.slice();
  const at = new TextDecoder().decode(bytes).indexOf('"inFeatures":7');
  header[at + '"inFeatures":'.length] = '8'.charCodeAt(0);
  expect(() => loadModel(backend, header)).toThrow(/checksum mismatch/);
});

it('keeps what the model needs to be used correctly, and still reads v1 files', () => {
  const metadata = { input: { rows: 1, cols: 7 }, classes: 3, dataset: { source: 'bundled', sha256: 'ab' } };
  const read = readModelFile(backend, saveModel(model, metadata));
  expect(read.metadata).toEqual(metadata);
  expect(read.version).toBe(2);
  const bytes = saveModel(model);
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + new DataView(bytes.buffer).getUint32(4, true)));
  const v1Json = new TextEncoder().encode(json.replace('"version":2', '"version":1'));
  const dataStart = Math.ceil((8 + v1Json.length) / 4) * 4;
  const weights = bytes.subarray(Math.ceil((8 + json.length) / 4) * 4, bytes.length - 32);
  const v1 = new Uint8Array(dataStart + weights.length);
  new DataView(v1.buffer).setUint32(0, 0x4d525053, true);
  new DataView(v1.buffer).setUint32(4, v1Json.length, true);
  v1.set(v1Json, 8);
  v1.set(weights, dataStart);
  const old = readModelFile(backend, v1);
  expect(old.version).toBe(1);
  expect(old.metadata).toEqual({});
  expect(old.model.forward(x).toArray()).toEqual(model.forward(x).toArray());
});

it('saves int8 kernels (v3): about 4× smaller, loaded as exactly the dequantized weights', () => {
  const big = createMlp(backend, { inputs: 127, hidden: [33], outputs: 7, rng: new Random(9) });
  const float = saveModel(big);
  const bytes = saveModel(big, { classes: 7 }, { int8: true });
  const read = readModelFile(backend, bytes, 'q.sprout');
  expect([read.version, read.int8, read.metadata.classes]).toEqual([3, true, 7]);
  expect(bytes.length).toBeLessThan(float.length / 3);
  big.parameters().forEach((p, i) => {
    const loaded = read.model.parameters()[i].value.toArray();
    const values = p.value.toArray();
    if (p.value.shape.length === 2) {
      const [rows, cols] = p.value.shape;
      expect(loaded).toEqual(dequantizeInt8(quantizeInt8(values, rows, cols), cols));
      // Within half a step of each weight: the step is the column's max |w| / 127.
      for (let c = 0; c < cols; c++) {
        let max = 0;
        for (let r = 0; r < rows; r++) max = Math.max(max, Math.abs(values[r * cols + c]));
        for (let r = 0; r < rows; r++)
          expect(Math.abs(loaded[r * cols + c] - values[r * cols + c])).toBeLessThanOrEqual(
            (max / 127) * 0.5 + 1e-7,
          );
      }
    } else expect(loaded).toEqual(values); // biases stay float32
  });
  // Saving the loaded int8 model again quantizes to the same bytes.
  expect(saveModel(read.model, { classes: 7 }, { int8: true })).toEqual(bytes);
  const flipped = bytes.slice();
  flipped[bytes.length - 100] ^= 1;
  expect(() => readModelFile(backend, flipped, 'q.sprout')).toThrow(
    /q\.sprout is corrupt: checksum mismatch/,
  );
});

it('quantizes per column: symmetric, zero columns and extremes included', () => {
  const values = Float32Array.from([0, 1, -2, 0, -0.5, 2, 0, 0.25, 1]);
  const { q, scales } = quantizeInt8(values, 3, 3);
  expect(Array.from(scales)).toEqual([1, Math.fround(1 / 127), Math.fround(2 / 127)]);
  expect(Array.from(q)).toEqual([0, 127, -127, 0, -64, 127, 0, 32, 64]);
});

it('saves into a buffer of the right length (returned as is), the same bytes as a fresh save', () => {
  const local = createMlp(backend, { inputs: 6, hidden: [5], outputs: 3, rng: new Random(9) });
  const meta = { classes: 3 };
  const first = saveModel(local, meta);
  local.parameters()[0].value.set(new Float32Array(30).fill(0.25));
  const fresh = saveModel(local, meta);
  const reused = saveModel(local, meta, { into: first });
  expect(reused).toBe(first);
  expect(Buffer.compare(reused, fresh)).toBe(0);
  // A buffer of another length is left alone.
  const other = new Uint8Array(10);
  expect(saveModel(local, meta, { into: other })).not.toBe(other);
});
