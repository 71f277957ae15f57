import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { denseStack, TFJS_WEIGHTS_FILE, toOnnx, toTfjs } from '@sprout/export';
import { saveModel } from '@sprout/layers';
import { RunDirectoryError, RunFileError } from '../errors.js';
import { fsErrorMessage, writeFileAtomic } from '../runFiles.js';
import { loadSavedModel } from '../savedModel.js';
import { SPROUT_VERSION } from '../version.js';

/** What {@link exportSaved} writes: TensorFlow.js Layers, ONNX, or Sprout's own file (for int8). */
export type ExportFormat = 'tfjs' | 'onnx' | 'sprout';

/** The files each format writes into the target directory. */
export const EXPORT_FILES: Record<ExportFormat, string[]> = {
  tfjs: ['model.json', TFJS_WEIGHTS_FILE],
  onnx: ['model.onnx'],
  sprout: ['model.sprout'],
};

/**
 * Exports the model a run saved (`outDir/model.sprout`) into the directory `to`. Every format
 * takes the image's pixels scaled to [0, 1] (`[batch, 784]` for MNIST) — or, for a model of
 * feature rows, the raw features (it standardises them first, as training did) — and outputs
 * class probabilities (a regression model: its prediction, in the target's units; ONNX output
 * `value`). With `int8`, Dense kernels are quantized to int8 per output unit (symmetric
 * scales) — the same quantization in every format, so a Sprout int8 file, its ONNX form and its
 * TF.js form compute with the same weights. Files already in `to` are refused unless `overwrite`;
 * each file is written atomically; the run's own model is never replaced.
 *
 * @example
 * ```ts
 * await exportSaved({ outDir: 'runs/latest', format: 'onnx', to: 'export/onnx' });
 * await exportSaved({ outDir: 'runs/latest', format: 'tfjs', int8: true, to: 'export/tfjs-int8' });
 * ```
 */
export async function exportSaved(options: {
  outDir: string;
  format: ExportFormat;
  to: string;
  int8?: boolean;
  overwrite?: boolean;
}): Promise<{ files: string[]; bytes: number }> {
  const { outDir, format, to, int8 = false, overwrite = false } = options;
  const files = EXPORT_FILES[format].map((name) => join(to, name));
  const source = join(outDir, 'model.sprout');
  if (files.some((f) => sameFile(f, source)))
    throw new RunDirectoryError(
      `${join(to, 'model.sprout')} is the run's own model: export to another directory`,
    );
  const present = files.filter((f) => existsSync(f));
  if (present.length && !overwrite)
    throw new RunDirectoryError(
      `${present[0]} already exists: choose another --to, or give --overwrite to replace it`,
    );
  // Only the weights are read: no kernel thread to start.
  const saved = await loadSavedModel(outDir, { backend: 'cpu', threads: false });
  try {
    const layers = denseStack(saved.model, int8);
    // A model of feature rows takes raw features: its standardisation goes into the export.
    const features = saved.metadata.features;
    const { target } = saved.metadata;
    const standardize = {
      ...(features ? { standardize: { mean: features.mean, std: features.std } } : {}),
      // A regression model's one output, back in the target's units.
      ...(target ? { target } : {}),
    };
    let contents: Uint8Array[];
    if (format === 'tfjs') {
      const { modelJson, weights } = toTfjs(layers, `Sprout ${SPROUT_VERSION}`, standardize);
      contents = [new TextEncoder().encode(modelJson), weights];
    } else if (format === 'onnx') contents = [await toOnnx(layers, SPROUT_VERSION, standardize)];
    else contents = [saveModel(saved.model, saved.metadata, { int8 })];
    try {
      mkdirSync(to, { recursive: true });
    } catch (error) {
      throw new RunFileError(fsErrorMessage('create the directory', to, error));
    }
    // The weights before the file that names them, so a model.json never points at missing weights.
    for (let i = files.length - 1; i >= 0; i--) writeFileAtomic(files[i], contents[i]);
    return { files, bytes: contents.reduce((n, c) => n + c.length, 0) };
  } finally {
    saved.dispose();
  }
}

function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}
