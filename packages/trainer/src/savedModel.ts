import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ModelMetadata, readModelFile, type Sequential } from '@sprout/layers';
import { type Backend, type BackendChoice, type CreateBackendOptions, createBackend } from '@sprout/tensor';
import { CheckpointError } from './errors.js';
import { fsErrorMessage } from './runFiles.js';

/** A run's saved model, loaded on a backend; `dispose()` frees both. */
export interface SavedModel {
  model: Sequential;
  metadata: ModelMetadata;
  backend: Backend;
  /** The file it came from. */
  modelFile: string;
  dispose(): void;
}

/** The bytes of `outDir/model.sprout`, or a CheckpointError saying what to do. */
export function readSavedModelBytes(outDir: string): { bytes: Uint8Array; modelFile: string } {
  const modelFile = join(outDir, 'model.sprout');
  try {
    return { bytes: readFileSync(modelFile), modelFile };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CheckpointError(
        `no saved model at ${modelFile}: train first (or --continue-training a run interrupted before its first epoch ended)`,
      );
    throw new CheckpointError(fsErrorMessage('read the model', modelFile, error));
  }
}

/**
 * Loads the model a run saved (`outDir/model.sprout`) on the backend asked for (a choice, or
 * the options of `createBackend`).
 *
 * @example
 * ```ts
 * const saved = await loadSavedModel('runs/latest');
 * console.log(saved.model.widths); // [784, 512, 10]
 * saved.dispose();
 * ```
 */
export async function loadSavedModel(
  outDir: string,
  backend: BackendChoice | CreateBackendOptions = 'auto',
): Promise<SavedModel> {
  const { bytes, modelFile } = readSavedModelBytes(outDir);
  const selection = await createBackend(typeof backend === 'string' ? { backend } : backend);
  try {
    const { model, metadata } = readModelFile(selection.backend, bytes, modelFile);
    return {
      model,
      metadata,
      backend: selection.backend,
      modelFile,
      dispose() {
        model.dispose();
        selection.backend.dispose();
      },
    };
  } catch (error) {
    selection.backend.dispose();
    throw error;
  }
}
