import { loadBundledMnist } from './bundledMnist.js';
import { type ImageDataset, loadIdxDirectory } from './dataset.js';

/**
 * The bundled real MNIST by default, or any directory of IDX files (plain or .gz) with `dir`.
 *
 * @example
 * ```ts
 * const data = await loadDataset();                          // bundled MNIST
 * const fashion = await loadDataset({ dir: './fashion' });   // Fashion-MNIST, same API
 * ```
 */
export function loadDataset(options: { dir?: string; verify?: boolean } = {}): Promise<ImageDataset> {
  return options.dir ? loadIdxDirectory(options.dir) : loadBundledMnist({ verify: options.verify });
}
