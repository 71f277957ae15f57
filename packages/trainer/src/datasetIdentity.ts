import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { ImageDataset } from '@sprout/data-mnist';

/** Where a dataset came from and a hash of its contents, kept in models and checkpoints. */
export interface DatasetIdentity {
  /** An absolute directory, or {@link BUNDLED_MNIST}. */
  source: string;
  /** SHA-256 of the image sizes, images and labels of the train and test sets. */
  sha256: string;
}

/** The `source` of the MNIST bundled with `@sprout/data-mnist`. */
export const BUNDLED_MNIST = 'bundled MNIST';

/** The identity of `data`, loaded from `dataDir` (or the bundled MNIST when undefined). */
export function datasetIdentity(data: ImageDataset, dataDir: string | undefined): DatasetIdentity {
  const hash = createHash('sha256');
  for (const set of [data.train, data.test]) {
    hash.update(`${set.count}x${set.rows}x${set.cols};`);
    hash.update(set.images);
    hash.update(set.labels);
  }
  return { source: dataDir === undefined ? BUNDLED_MNIST : resolve(dataDir), sha256: hash.digest('hex') };
}

/** The `dataDir` that loads the dataset an identity names. */
export function dataDirOf(identity: DatasetIdentity): string | undefined {
  return identity.source === BUNDLED_MNIST ? undefined : identity.source;
}
