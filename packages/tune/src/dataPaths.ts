import { resolve } from 'node:path';

/** The space's data paths (IDX directory, CSV files), absolute from this process's directory. */
export function dataPaths(base: Record<string, unknown>): {
  dataDir?: string;
  csv?: string;
  testCsv?: string;
} {
  const paths: { dataDir?: string; csv?: string; testCsv?: string } = {};
  for (const key of ['dataDir', 'csv', 'testCsv'] as const)
    if (typeof base[key] === 'string') paths[key] = resolve(base[key] as string);
  return paths;
}
