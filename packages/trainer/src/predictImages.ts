import { readFileSync } from 'node:fs';
import { decodeImage, ImageFormatError, normalizeDigit } from '@sprout/data-mnist';
import { probabilities } from '@sprout/layers';
import type { BackendChoice } from '@sprout/tensor';
import { DatasetMismatchError } from './errors.js';
import { fsErrorMessage } from './runFiles.js';
import { loadSavedModel } from './savedModel.js';

/** One image's most likely classes, most likely first. */
export interface ImagePrediction {
  /** The file (or name) the image came from. */
  source: string;
  /** `name`: the class's name when the model's dataset gave names (its `classes.txt`). */
  top: { class: number; name?: string; probability: number }[];
}

/**
 * Classifies image files (PNG or PGM, any size, dark-on-light or light-on-dark) with the model a
 * run saved: each image is normalised as MNIST's digits were ({@link normalizeDigit}: 20×20 box,
 * centre of mass centred, in the model's square input) and its `top` classes returned with their
 * probabilities. A file that cannot be read, is not an image or is blank throws an error naming it.
 *
 * @example
 * ```ts
 * const [p] = await predictImages({ outDir: 'runs/latest', files: ['seven.png'] });
 * console.log(p.top[0]); // { class: 7, probability: 0.998 }
 * ```
 */
export async function predictImages(options: {
  outDir: string;
  files: string[];
  top?: number;
  backend?: BackendChoice;
  /** Kernel threads of the cpu backend (`auto`, or a count): as for training. */
  threads?: 'auto' | number;
}): Promise<ImagePrediction[]> {
  const { outDir, files, top = 1, backend = 'auto', threads } = options;
  const saved = await loadSavedModel(outDir, { backend, threads });
  try {
    if (saved.metadata.features)
      throw new DatasetMismatchError(
        `${saved.modelFile} takes rows of ${saved.metadata.features.names.length} features, not images: give it CSV files`,
      );
    const [pixels, classes] = [saved.model.widths[0], saved.model.widths[saved.model.widths.length - 1]];
    const input = saved.metadata.input ?? { rows: Math.sqrt(pixels), cols: Math.sqrt(pixels) };
    if (input.rows !== input.cols || !Number.isInteger(input.rows))
      throw new ImageFormatError(
        `the model in ${outDir} takes ${input.rows}×${input.cols} images; predict normalises digits into square ones`,
      );
    const size = input.rows;
    const box = Math.round((size * 20) / 28);
    const images = new Uint8Array(files.length * pixels);
    files.forEach((file, i) => {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (error) {
        throw new ImageFormatError(fsErrorMessage('read the image', file, error));
      }
      images.set(normalizeDigit(decodeImage(bytes, file), file, { size, box }), i * pixels);
    });
    const p = probabilities(saved.model, images, files.length, pixels);
    const k = Math.min(Math.max(1, top), classes);
    return files.map((source, i) => {
      const row = Array.from(p.subarray(i * classes, (i + 1) * classes), (probability: number, c) => ({
        class: c,
        probability,
      }));
      row.sort((a, b) => b.probability - a.probability || a.class - b.class);
      const names = saved.metadata.classNames;
      return {
        source,
        top: row
          .slice(0, k)
          .map((t) => (names ? { class: t.class, name: names[t.class], probability: t.probability } : t)),
      };
    });
  } finally {
    saved.dispose();
  }
}
