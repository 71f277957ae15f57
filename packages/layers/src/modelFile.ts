import type { Backend } from '@sprout/tensor';
import { Random } from '@sprout/tensor';
import { Dense } from './dense.js';
import type { Layer } from './layer.js';
import { ReLU } from './relu.js';
import { Sequential } from './sequential.js';

/** A model file is not one this version can read (wrong magic, version, shapes, truncated). */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

const MAGIC = 0x4d525053; // "SPRM" little-endian
/** Current model file version. */
export const MODEL_FORMAT_VERSION = 1;

interface ModelHeader {
  format: 'sprout-model';
  version: number;
  layers: Record<string, unknown>[];
  params: { name: string; shape: number[]; offset: number; length: number }[];
}

/**
 * Serialises a model: 4-byte magic "SPRM", u32 header length, a JSON header (version, layers,
 * parameter names/shapes/offsets), padding to 4 bytes, then all parameters as little-endian float32.
 *
 * @example
 * ```ts
 * writeFileSync('model.sprout', saveModel(model));
 * const again = loadModel(backend, readFileSync('model.sprout'));
 * ```
 */
export function saveModel(model: Sequential): Uint8Array {
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
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((8 + json.length) / 4) * 4;
  const bytes = new Uint8Array(dataStart + offset * 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.length, true);
  bytes.set(json, 8);
  const floats = new Float32Array(bytes.buffer, dataStart, offset);
  for (const [i, p] of params.entries()) floats.set(p.value.toArray(), header.params[i].offset);
  return bytes;
}

/** Reads a model written by {@link saveModel}; every inconsistency is a ModelFormatError. */
export function loadModel(backend: Backend, bytes: Uint8Array, source = 'model'): Sequential {
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
    throw new ModelFormatError(`${source}: header is not valid JSON`);
  }
  if (header.format !== 'sprout-model' || header.version !== MODEL_FORMAT_VERSION) {
    throw new ModelFormatError(`${source}: unsupported format/version ${header.format}/${header.version}`);
  }
  const dataStart = Math.ceil((8 + headerLength) / 4) * 4;
  const total = header.params.reduce((s, p) => s + p.length, 0);
  if (bytes.length !== dataStart + total * 4) {
    throw new ModelFormatError(
      `${source}: expected ${dataStart + total * 4} bytes, found ${bytes.length} (truncated or corrupt)`,
    );
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
  return model;
}
