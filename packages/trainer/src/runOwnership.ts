import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointPath, readCheckpoint } from './checkpoint.js';
import { RunDirectoryError, RunFileError } from './errors.js';
import { fsErrorMessage } from './runFiles.js';
import { LOCK_FILE } from './runLock.js';

/** Plots a run writes, each as SVG and PNG (writeRunOutputs writes exactly these names). */
export const CHART_NAMES = [
  'cost',
  'accuracy',
  'accuracy-zoom',
  'learning-rate',
  'hidden-width',
  'memory',
  'confusion-matrix',
  'predictions',
] as const;
/** The name of one of a run's plots. */
export type ChartName = (typeof CHART_NAMES)[number];

/** Every file a run writes in its directory; no other file there is ever touched. */
export const RUN_OUTPUT_NAMES: readonly string[] = [
  'model.sprout',
  'checkpoint.sprout',
  'history.json',
  'metrics.json',
  'evaluation.json',
  'memory.json',
  'memory.csv',
  'report.html',
  ...CHART_NAMES.flatMap((n) => [`${n}.svg`, `${n}.png`]),
];

/** Where `overwrite` keeps the replaced run until the new one has finished. */
export const REPLACED_DIR = '.replaced';

const isBookkeeping = (name: string) => name === LOCK_FILE || /\.tmp-\d+$/.test(name);

/**
 * Whether `outDir` can take a new run. A trained run there (a model, or a checkpoint past its
 * untrained start, or one that cannot be read) is refused; so are files that are not Sprout's,
 * unless `overwrite`. What an untrained start left (a failed first epoch) may be replaced.
 */
export function refuseOccupied(outDir: string, overwrite = false): void {
  // Not there, or not a directory (creating it will say so): nothing to protect.
  if (overwrite || !existsSync(outDir) || !statSync(outDir).isDirectory()) return;
  const names = readdirSync(outDir).filter((n) => !isBookkeeping(n) && n !== REPLACED_DIR);
  const trained =
    names.includes('model.sprout') || (names.includes('checkpoint.sprout') && checkpointHasProgress(outDir));
  if (trained) {
    const found = ['model.sprout', 'checkpoint.sprout'].filter((n) => names.includes(n));
    throw new RunDirectoryError(
      `${outDir} already holds a run (${found.join(', ')}): use another --out, --continue-training to go on with it, or --overwrite to replace it`,
    );
  }
  const foreign = names.filter((n) => !RUN_OUTPUT_NAMES.includes(n));
  if (foreign.length > 0) {
    const shown =
      foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, … (${foreign.length} in all)` : '');
    throw new RunDirectoryError(
      `${outDir} is not empty (${shown}): give a new or empty --out, or --overwrite to write the run's files beside these (they are left alone)`,
    );
  }
}

function checkpointHasProgress(outDir: string): boolean {
  try {
    const { state } = readCheckpoint(checkpointPath(outDir));
    return state.epoch > 0 || state.batchInEpoch > 0;
  } catch {
    return true; // cannot tell: treat it as a run worth keeping
  }
}

/**
 * For `overwrite`: moves the old run's files (only Sprout's own) into `.replaced/`, so that they
 * are replaced only once the new run has something to show. Returns the names moved.
 */
export function setAsideRun(outDir: string): string[] {
  const aside = join(outDir, REPLACED_DIR);
  const names = readdirSync(outDir).filter((n) => RUN_OUTPUT_NAMES.includes(n));
  if (names.length === 0) return names;
  try {
    rmSync(aside, { recursive: true, force: true }); // an older replaced run, already given up
    mkdirSync(aside);
    for (const n of names) renameSync(join(outDir, n), join(aside, n));
  } catch (error) {
    throw new RunFileError(fsErrorMessage('set aside the replaced run in', aside, error));
  }
  return names;
}

/** The new run finished: the replaced one goes for good. */
export function discardReplacedRun(outDir: string): void {
  rmSync(join(outDir, REPLACED_DIR), { recursive: true, force: true });
}

/** The new run failed: the replaced run's files come back, over whatever the new one wrote. */
export function restoreReplacedRun(outDir: string): void {
  const aside = join(outDir, REPLACED_DIR);
  if (!existsSync(aside)) return;
  for (const n of RUN_OUTPUT_NAMES) if (!existsSync(join(aside, n))) rmSync(join(outDir, n), { force: true });
  for (const n of readdirSync(aside)) renameSync(join(aside, n), join(outDir, n));
  rmSync(aside, { recursive: true, force: true });
}
