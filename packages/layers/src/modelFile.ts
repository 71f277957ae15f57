import { sha256 } from '@noble/hashes/sha2';
import type { Backend } from '@sprout/tensor';
import { Random } from '@sprout/tensor';
import { Dense } from './dense.js';
import type { Layer } from './layer.js';
import { ReLU } from './relu.js';
import { Sequential } from './sequential.js';

/** A model file is not one this version can read (wrong magic, version, shapes, truncated, corrupt). */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

const MAGIC = 0x4d525053; // "SPRM" little-endian
/** Current model file version (2: a SHA-256 trailer and {@link ModelMetadata}; 1 still loads). */
export const MODEL_FORMAT_VERSION = 2;
const CHECKSUM_BYTES = 32;

/** What a model needs to be used correctly, stored in the file beside its weights (v2). */
export interface ModelMetadata {
  /** Image size the model takes (its input features are rows × cols). */
  input?: { rows: number; cols: number };
  /** Number of classes it outputs. */
  classes?: number;
  /** What it was trained on: where the files came from and a hash of their contents. */
  dataset?: { source: string; sha256: string };
}

interface ModelHeader {
  format: 'sprout-model';
  version: number;
  layers: Record<string, unknown>[];
  params: { name: string; shape: number[]; offset: number; length: number }[];
  metadata?: ModelMetadata;
}

/**
 * Serialises a model: 4-byte magic "SPRM", u32 header length, a JSON header (version, layers,
 * parameter names/shapes/offsets, metadata), padding to 4 bytes, all parameters as little-endian
 * float32, then the SHA-256 of everything before it — so any changed byte, header or weight, is found.
 *
 * @example
 * ```ts
 * writeFileSync('model.sprout', saveModel(model, { input: { rows: 28, cols: 28 }, classes: 10 }));
 * const again = loadModel(backend, readFileSync('model.sprout'));
 * ```
 */
export function saveModel(model: Sequential, metadata?: ModelMetadata): Uint8Array {
  const params = model.parameters();
  let offset = 0;
  const header: ModelHeader = {
    format: 'sprout-model',
    version: MODEL_FORMAT_VERSION,
    layers: model.layers.map((l) => l.config()),
    params: params.map((p) => {
      const entry = { name: p.name, shape: [...p.value.shape], offset, length: p.value.size };
      offset += p.value.size;
      return entry;
    }),
    ...(metadata ? { metadata } : {}),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((8 + json.length) / 4) * 4;
  const dataEnd = dataStart + offset * 4;
  const bytes = new Uint8Array(dataEnd + CHECKSUM_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.length, true);
  bytes.set(json, 8);
  const floats = new Float32Array(bytes.buffer, dataStart, offset);
  for (const [i, p] of params.entries()) floats.set(p.value.toArray(), header.params[i].offset);
  bytes.set(sha256(bytes.subarray(0, dataEnd)), dataEnd);
  return bytes;
}

/** Reads a model written by {@link saveModel}; every inconsistency is a ModelFormatError. */
export function loadModel(backend: Backend, bytes: Uint8Array, source = 'model'): Sequential {
  return readModelFile(backend, bytes, source).model;
}

/**
 * Reads a model file (v1 or v2) with its metadata; `source` (a path) starts every error message.
 * A v2 file whose checksum does not match is refused: its weights or header changed after saving.
 */
export function readModelFile(
  backend: Backend,
  bytes: Uint8Array,
  source = 'model',
): { model: Sequential; metadata: ModelMetadata; version: number } {
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
  if (header.format !== 'sprout-model' || (header.version !== 1 && header.version !== 2)) {
    throw new ModelFormatError(`${source}: unsupported format/version ${header.format}/${header.version}`);
  }
  if (!Array.isArray(header.params) || !Array.isArray(header.layers))
    throw new ModelFormatError(`${source}: header lacks its layers or parameters (corrupt file)`);
  const dataStart = Math.ceil((8 + headerLength) / 4) * 4;
  const total = header.params.reduce((s, p) => s + p.length, 0);
  const dataEnd = dataStart + total * 4;
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
  const floats = new Float32Array(new Uint8Array(bytes.subarray(dataStart)).buffer);
  params.forEach((p, i) => {
    const entry = header.params[i];
    if (entry.name !== p.name || entry.shape.join('x') !== p.value.shape.join('x')) {
      throw new ModelFormatError(
        `${source}: parameter ${i} is ${entry.name} [${entry.shape}] but the layers need ${p.name} [${p.value.shape}]`,
      );
    }
    p.value.set(floats.subarray(entry.offset, entry.offset + entry.length));
  });
  return { model, metadata: header.metadata ?? {}, version: header.version };
}
