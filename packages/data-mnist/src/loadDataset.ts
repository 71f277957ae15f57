import { loadBundledMnist } from './bundledMnist.js';
import { type ImageDataset, loadIdxDirectory } from './dataset.js';

/**
 * The bundled real MNIST by default, or any directory of IDX files (plain or .gz) with `dir`
 * (`classes` declares their class count when not every class has a training example).
 *
 * @example
 * ```ts
 * const data = await loadDataset();                          // bundled MNIST
 * const fashion = await loadDataset({ dir: './fashion' });   // Fashion-MNIST, same API
 * ```
 */
export function loadDataset(
  options: { dir?: string; verify?: boolean; classes?: number } = {},
): Promise<ImageDataset> {
  return options.dir
    ? loadIdxDirectory(options.dir, { classes: options.classes })
    : loadBundledMnist({ verify: options.verify });
}
