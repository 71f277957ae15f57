import { sha256 } from '@noble/hashes/sha2';
import type { Backend } from '@sprout/tensor';
import { Random } from '@sprout/tensor';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Sigmoid, Tanh } from './elementwiseActivation.js';
import type { Layer } from './layer.js';
import { dequantizeInt8, quantizeInt8 } from './quantize.js';
import { ReLU } from './relu.js';
import { Sequential } from './sequential.js';

/** A model file is not one this version can read (wrong magic, version, shapes, truncated, corrupt). */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

const MAGIC = 0x4d525053; // "SPRM" little-endian
/**
 * Model file version of float32 models (2: a SHA-256 trailer and {@link ModelMetadata}; 1 still
 * loads). Int8 models are version 3: byte offsets, int8 kernels with per-column scales.
 */
export const MODEL_FORMAT_VERSION = 2;
const INT8_FORMAT_VERSION = 3;
const CHECKSUM_BYTES = 32;

/** What a model needs to be used correctly, stored in the file beside its weights (v2 and later). */
export interface ModelMetadata {
  /** Image size the model takes (its input features are rows × cols). */
  input?: { rows: number; cols: number };
  /** Number of classes it outputs. */
  classes?: number;
  /** What it was trained on: where the files came from and a hash of their contents. */
  dataset?: { source: string; sha256: string };
  /** Names of the classes in label order, when the dataset gave them (its `classes.txt`). */
  classNames?: string[];
  /**
   * A model of float features (tabular data) rather than images: its columns' names and the
   * standardisation its inputs get first, `(x − mean) / std`, fitted on the training rows — so
   * that predict, evaluation and exports take raw features.
   */
  features?: { names: string[]; mean: number[]; std: number[]; label?: string };
  /**
   * A regression model: its one output is the standardised target, `value = output·std + mean`
   * (statistics of the training targets).
   */
  target?: { mean: number; std: number };
}

/** Where a parameter is: offsets in floats (v1, v2) or in bytes from the data's start (v3). */
interface ParamEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
  /** v3: 'int8' = `length` int8 values, then (4-byte aligned, at `scales`) one float32 per column. */
  dtype?: 'float32' | 'int8';
  scales?: number;
}

interface ModelHeader {
  format: 'sprout-model';
  version: number;
  layers: Record<string, unknown>[];
  params: ParamEntry[];
  metadata?: ModelMetadata;
}

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /**
   * Store each Dense kernel as int8 with one scale per output unit ({@link quantizeInt8}); biases
   * stay float32. About 4× smaller; loading dequantizes, so the loaded model computes in float32
   * with exactly the weights an int8 runtime would use.
   */
  int8?: boolean;
  /**
   * A buffer to write into when the file has exactly its length (e.g. the previous save of the
   * same model); it is returned then. Saves in a loop then allocate nothing of the model's size.
   */
  into?: Uint8Array;
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * Serialises a model: 4-byte magic "SPRM", u32 header length, a JSON header (version, layers,
 * parameter names/shapes/offsets, metadata), padding to 4 bytes, all parameters as little-endian
 * float32 (with `int8`: each Dense kernel as int8 then its per-column float32 scales, 4-byte
 * aligned — version 3), then the SHA-256 of everything before it — so any changed byte, header or
 * weight, is found.
 *
 * @example
 * ```ts
 * writeFileSync('model.sprout', saveModel(model, { input: { rows: 28, cols: 28 }, classes: 10 }));
 * const again = loadModel(backend, readFileSync('model.sprout'));
 * ```
 */
export function saveModel(
  model: Sequential,
  metadata?: ModelMetadata,
  options: SaveModelOptions = {},
): Uint8Array {
  const int8 = options.int8 ?? false;
  const params = model.parameters();
  // Each parameter's bytes (float32, or int8 then per-column scales), in order.
  const blocks: { entry: ParamEntry; bytes: Uint8Array[] }[] = [];
  let offset = 0;
  for (const p of params) {
    // Views where the values are in host memory (no backend allocation happens before they are
    // copied below); a copy on a GPU.
    const values = p.value.peek();
    const [rows, cols] = p.value.shape;
    const entry: ParamEntry = { name: p.name, shape: [...p.value.shape], offset, length: p.value.size };
    if (int8 && p.value.shape.length === 2 && rows > 1) {
      const { q, scales } = quantizeInt8(values, rows, cols);
      entry.dtype = 'int8';
      entry.scales = offset + align4(q.length);
      offset = entry.scales + scales.byteLength;
      blocks.push({ entry, bytes: [new Uint8Array(q.buffer), new Uint8Array(scales.buffer)] });
    } else {
      offset += values.byteLength;
      blocks.push({ entry, bytes: [new Uint8Array(values.buffer, values.byteOffset, values.byteLength)] });
    }
  }
  // v2 offsets count floats; v3 offsets count bytes.
  if (!int8) for (const b of blocks) b.entry.offset /= 4;
  const header: ModelHeader = {
    format: 'sprout-model',
    version: int8 ? INT8_FORMAT_VERSION : MODEL_FORMAT_VERSION,
    // Dropout only acts while training; a model file holds what inference runs.
    layers: model.layers.filter((l) => !(l instanceof Dropout)).map((l) => l.config()),
    params: blocks.map((b) => b.entry),
    ...(metadata ? { metadata } : {}),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align4(8 + json.length);
  const dataEnd = dataStart + offset;
  const size = dataEnd + CHECKSUM_BYTES;
  const bytes = options.into?.length === size ? options.into : new Uint8Array(size);
  bytes.fill(0, 8 + json.length, dataStart); // the header's padding, when the buffer is reused
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.length, true);
  bytes.set(json, 8);
  for (const { entry, bytes: parts } of blocks) {
    const at = dataStart + (int8 ? entry.offset : entry.offset * 4);
    bytes.set(parts[0], at);
    if (entry.scales !== undefined) bytes.set(parts[1], dataStart + entry.scales);
  }
  bytes.set(sha256(bytes.subarray(0, dataEnd)), dataEnd);
  return bytes;
}

/** Reads a model written by {@link saveModel}; every inconsistency is a ModelFormatError. */
export function loadModel(backend: Backend, bytes: Uint8Array, source = 'model'): Sequential {
  return readModelFile(backend, bytes, source).model;
}

/**
 * Reads a model file (v1, v2, or v3 with int8 kernels, dequantized to float32) with its metadata; `source` (a path) starts every error message.
 * A v2+ file whose checksum does not match is refused: its weights or header changed after saving.
 */
export function readModelFile(
  backend: Backend,
  bytes: Uint8Array,
  source = 'model',
): { model: Sequential; metadata: ModelMetadata; version: number; int8: boolean } {
  if (bytes.length < 8)
    throw new ModelFormatError(`${source}: ${bytes.length} bytes is too short for a model file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC)
    throw new ModelFormatError(`${source}: not a Sprout model (bad magic)`);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.length) throw new ModelFormatError(`${source}: truncated header`);
  let header: ModelHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new ModelFormatError(`${source}: header is not valid JSON (corrupt file)`);
  }
  if (header.format !== 'sprout-model' || ![1, 2, INT8_FORMAT_VERSION].includes(header.version)) {
    throw new ModelFormatError(`${source}: unsupported format/version ${header.format}/${header.version}`);
  }
  if (!Array.isArray(header.params) || !Array.isArray(header.layers))
    throw new ModelFormatError(`${source}: header lacks its layers or parameters (corrupt file)`);
  const dataStart = align4(8 + headerLength);
  const byteOffsets = header.version >= INT8_FORMAT_VERSION;
  const dataEnd =
    dataStart +
    (byteOffsets ? dataBytesV3(header.params, source) : 4 * header.params.reduce((s, p) => s + p.length, 0));
  const expected = dataEnd + (header.version >= 2 ? CHECKSUM_BYTES : 0);
  if (bytes.length !== expected) {
    throw new ModelFormatError(
      `${source}: expected ${expected} bytes, found ${bytes.length} (truncated or corrupt)`,
    );
  }
  if (header.version >= 2) {
    const stored = bytes.subarray(dataEnd, expected);
    const actual = sha256(bytes.subarray(0, dataEnd));
    if (!actual.every((b, i) => b === stored[i]))
      throw new ModelFormatError(`${source} is corrupt: checksum mismatch (it changed after it was saved)`);
  }
  const rng = new Random(0);
  const layers: Layer[] = header.layers.map((c) => {
    if (c.kind === 'relu') return new ReLU();
    if (c.kind === 'sigmoid') return new Sigmoid();
    if (c.kind === 'tanh') return new Tanh();
    if (c.kind === 'dense') {
      return new Dense(backend, Number(c.inFeatures), Number(c.outFeatures), rng, {
        name: String(c.name),
        relu: Boolean(c.relu),
        init: { kind: 'zeros' },
      });
    }
    throw new ModelFormatError(`${source}: unknown layer kind "${String(c.kind)}"`);
  });
  const model = new Sequential(layers);
  const params = model.parameters();
  if (params.length !== header.params.length)
    throw new ModelFormatError(`${source}: parameter count mismatch`);
  // Copy into a fresh buffer: Node Buffers are views into shared pools (and may be unaligned).
  const data = new Uint8Array(bytes.subarray(dataStart, dataEnd)).buffer;
  let int8 = false;
  params.forEach((p, i) => {
    const entry = header.params[i];
    if (
      entry.name !== p.name ||
      entry.shape.join('x') !== p.value.shape.join('x') ||
      entry.length !== p.value.size
    ) {
      throw new ModelFormatError(
        `${source}: parameter ${i} is ${entry.name} [${entry.shape}] but the layers need ${p.name} [${p.value.shape}]`,
      );
    }
    if (!byteOffsets) {
      p.value.set(new Float32Array(data, entry.offset * 4, entry.length));
    } else if (entry.dtype === 'int8') {
      int8 = true;
      const cols = entry.shape[1];
      const q = new Int8Array(data, entry.offset, entry.length);
      p.value.set(dequantizeInt8({ q, scales: new Float32Array(data, entry.scales, cols) }, cols));
    } else {
      p.value.set(new Float32Array(data, entry.offset, entry.length));
    }
  });
  return { model, metadata: header.metadata ?? {}, version: header.version, int8 };
}

/** The data section's length in a v3 file, checking that every block is aligned and in order. */
function dataBytesV3(params: ParamEntry[], source: string): number {
  let end = 0;
  for (const p of params) {
    const int8 = p.dtype === 'int8';
    if (p.dtype !== undefined && p.dtype !== 'float32' && !int8)
      throw new ModelFormatError(`${source}: parameter ${p.name} has unknown dtype ${String(p.dtype)}`);
    const scalesAt = int8 ? align4(p.offset + p.length) : p.offset;
    const valid =
      Number.isInteger(p.offset) &&
      p.offset === end &&
      p.offset % 4 === 0 &&
      (!int8 || (p.shape.length === 2 && p.scales === scalesAt));
    if (!valid)
      throw new ModelFormatError(`${source}: parameter ${p.name} is not where it should be (corrupt file)`);
    end = int8 ? scalesAt + 4 * p.shape[1] : p.offset + 4 * p.length;
  }
  return end;
}
