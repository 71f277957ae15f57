import { evaluateSaved, train } from '@sprout/trainer';
import { CommanderError } from 'commander';
import { parseArgs } from './parseArgs.js';
import { progressHooks } from './progress.js';

const USAGE_ERRORS = new Set(['ConfigError', 'MemoryBudgetError']);
// The documented --json summary, in this order.
const JSON_FIELDS = [
  'testAccuracy',
  'bestDevAccuracy',
  'epochs',
  'wallSeconds',
  'secondsTo98',
  'peakRssMB',
  'backend',
  'hiddenSize',
  'outDir',
] as const;

/**
 * Runs the CLI with `argv` (without node and script). Returns the exit code instead of exiting,
 * so it can be tested; errors become one line on stderr.
 */
export async function main(argv: string[]): Promise<number> {
  let request: ReturnType<typeof parseArgs>;
  try {
    request = parseArgs(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
    }
    process.stderr.write(`sprout: error: ${(error as Error).message}\n`);
    return 2;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let stopRequested = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    stopRequested++;
    if (stopRequested > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
    process.stderr.write(
      `\nsprout: ${signal}: finishing the current batch and saving a checkpoint (again to quit at once)\n`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const hooks = progressHooks({ tty: Boolean(process.stdout.isTTY) && !request.json, quiet: false, log });
  try {
    if (request.mode === 'evaluate') {
      const r = await evaluateSaved(request.config);
      log(
        `evaluated ${r.modelFile}: test accuracy ${(r.accuracy * 100).toFixed(2)}%, loss ${r.loss.toFixed(4)}`,
      );
      log(
        `macro F1 ${(r.report.macro.f1 * 100).toFixed(2)}%, weighted F1 ${(r.report.weighted.f1 * 100).toFixed(2)}%`,
      );
      if (request.json)
        log(
          JSON.stringify({
            testAccuracy: r.accuracy,
            testLoss: r.loss,
            macroF1: r.report.macro.f1,
            modelFile: r.modelFile,
          }),
        );
      return 0;
    }
    const result = await train(request.config, {
      resume: request.mode === 'continue',
      hooks: { ...hooks, shouldStop: () => stopRequested > 0 },
    });
    hooks.stopBar();
    log(
      `${result.interrupted ? 'interrupted' : 'done'}: test accuracy ${(result.testAccuracy * 100).toFixed(2)}% after ${result.epochs} epochs in ${result.wallSeconds.toFixed(1)}s` +
        `${result.secondsTo98 === null ? '' : ` (98% at ${result.secondsTo98.toFixed(1)}s)`}, peak RSS ${result.peakRssMB.toFixed(0)} MB → ${result.outDir}`,
    );
    if (request.json) log(JSON.stringify(Object.fromEntries(JSON_FIELDS.map((k) => [k, result[k]]))));
    return result.interrupted ? 130 : 0;
  } catch (error) {
    hooks.stopBar();
    const e = error as Error;
    process.stderr.write(`sprout: error: ${e.message}\n`);
    if (process.env.SPROUT_DEBUG) process.stderr.write(`${e.stack}\n`);
    return USAGE_ERRORS.has(e.name) ? 2 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
