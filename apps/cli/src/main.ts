import {
  availableCores,
  ConfigError,
  envThreads,
  evaluateSaved,
  exportSaved,
  flagOf,
  isUsageError,
  MemoryLimitExceededError,
  predictCsv,
  predictImages,
  train,
} from '@sprout/trainer';
import { QueueUrlError, runQueueWorker, summaryTable, TUNE_STATE_FILE, tune } from '@sprout/tune';
import { CommanderError } from 'commander';
import {
  type ExportRequest,
  type PredictRequest,
  parseArgs,
  type TrainRequest,
  type TuneRequest,
  UsageError,
  type WorkerRequest,
} from './parseArgs.js';
import { progressHooks } from './progress.js';
import { linkLatest, newRunDirectory, removeIfEmpty } from './runDirectory.js';

/**
 * Exit codes: 0 done, 1 runtime error, 2 usage, 128 + signal when stopped by one (checkpoint
 * saved); SIGPIPE's 141 when the reader of stdout went away (`sprout | head -1`).
 */
const EXIT = { ok: 0, error: 1, usage: 2, SIGINT: 130, SIGPIPE: 141, SIGTERM: 143 } as const;
type StopCause = 'SIGINT' | 'SIGTERM' | 'SIGPIPE';
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
  'hiddenSizes',
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
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : EXIT.usage;
    }
    process.stderr.write(`sprout: error: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  if (request.mode === 'predict' || request.mode === 'export') return runTool(request);
  if (request.mode === 'tune') return runTune(request);
  if (request.mode === 'worker') return runWorker(request);
  if (request.mode === 'evaluate') return runEvaluate(request);
  return runTraining(request);
}

/** `sprout evaluate` (train --evaluate): the saved model on its test set; nothing to stop or save. */
async function runEvaluate(request: TrainRequest): Promise<number> {
  const log = humanLog(request.json);
  try {
    const r = await evaluateSaved(request.config);
    if (r.regression) {
      log(`evaluated ${r.modelFile} on ${r.dataset}: test ${regressionLine(r.regression)}`);
      if (request.json)
        process.stdout.write(`${JSON.stringify({ test: r.regression, modelFile: r.modelFile })}\n`);
      return EXIT.ok;
    }
    const report = r.report as NonNullable<typeof r.report>;
    log(
      `evaluated ${r.modelFile} on ${r.dataset}: test accuracy ${(r.accuracy * 100).toFixed(2)}%, loss ${r.loss.toFixed(4)}`,
    );
    log(
      `macro F1 ${(report.macro.f1 * 100).toFixed(2)}%, weighted F1 ${(report.weighted.f1 * 100).toFixed(2)}%`,
    );
    if (request.json)
      process.stdout.write(
        `${JSON.stringify({ testAccuracy: r.accuracy, testLoss: r.loss, macroF1: report.macro.f1, modelFile: r.modelFile })}\n`,
      );
    return EXIT.ok;
  } catch (error) {
    return reportFailure(error as Error, request.typedFlags);
  }
}

/** `sprout train` and `sprout continue` (train --continue-training): Ctrl-C saves a checkpoint. */
async function runTraining(request: TrainRequest): Promise<number> {
  // Under --json stdout carries the JSON result only; everything a person reads goes to stderr.
  const human = request.json ? process.stderr : process.stdout;
  let stdoutClosed = false;
  const write = (stream: NodeJS.WriteStream, line: string) => {
    if (!(stream === process.stdout && stdoutClosed)) stream.write(`${line}\n`);
  };
  const log = (line: string) => write(human, line);
  const printResult = (value: unknown) => write(process.stdout, JSON.stringify(value));
  let stopSignal: StopCause | null = null;
  let stopRequested = 0;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    stopRequested++;
    stopSignal ??= signal;
    if (stopRequested > 1) process.exit(EXIT[signal]);
    process.stderr.write(
      `\nsprout: ${signal}: finishing the current batch and saving a checkpoint (again to quit at once)\n`,
    );
  };
  // The reader of stdout went away: a run stops as on Ctrl-C (checkpoint saved), quietly.
  const onStdoutError = (error: NodeJS.ErrnoException) => {
    if (stdoutClosed) return;
    stdoutClosed = true;
    stopRequested++;
    stopSignal ??= 'SIGPIPE';
    if (error.code !== 'EPIPE') process.stderr.write(`sprout: error: stdout: ${error.message}\n`);
  };
  process.stdout.on('error', onStdoutError);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let freshDir: string | null = null;
  const hooks = progressHooks({ stream: human, quiet: false, log });
  try {
    // A new run without --out gets a directory of its own; runs/latest follows it.
    const fresh = request.mode === 'train' && !request.outGiven;
    if (fresh && request.overwrite)
      throw new UsageError(
        '--overwrite replaces the run in the --out you give; a run without --out never replaces one',
      );
    const config = fresh ? { ...request.config, outDir: newRunDirectory() } : request.config;
    freshDir = fresh ? (config.outDir ?? null) : null;
    const result = await train(config, {
      resume: request.mode === 'continue',
      overwrite: request.overwrite,
      hooks: {
        ...hooks,
        onStart(info) {
          if (fresh) {
            const note = linkLatest(info.config.outDir);
            if (note) process.stderr.write(`sprout: note: ${note}\n`);
          }
          hooks.onStart?.(info);
        },
        shouldStop: () => stopRequested > 0,
      },
    });
    hooks.stopBar();
    log(
      result.interrupted && !result.modelSaved
        ? `interrupted before the first epoch ended: checkpoint saved, no model yet; --continue-training goes on → ${result.outDir}`
        : `${result.interrupted ? 'interrupted' : 'done'}: ${result.testRegression ? `test ${regressionLine(result.testRegression)}` : result.testAccuracy === null ? 'test set not evaluated' : `test accuracy ${(result.testAccuracy * 100).toFixed(2)}%`} after ${result.epochs} epochs in ${result.wallSeconds.toFixed(1)}s` +
            `${result.secondsTo98 === null ? '' : ` (98% at ${result.secondsTo98.toFixed(1)}s)`}, peak RSS ${result.peakRssMB.toFixed(0)} MB → ${result.outDir}`,
    );
    if (request.json)
      printResult({
        ...Object.fromEntries(JSON_FIELDS.map((k) => [k, result[k]])),
        ...(result.testRegression ? { testRegression: result.testRegression } : {}),
      });
    return result.interrupted ? EXIT[stopSignal ?? 'SIGINT'] : EXIT.ok;
  } catch (error) {
    hooks.stopBar();
    if (freshDir) removeIfEmpty(freshDir);
    return reportFailure(error as Error, request.typedFlags);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onStdoutError);
  }
}

/** A line for people: on stdout, or on stderr where stdout carries the --json result. */
function humanLog(json: boolean): (line: string) => void {
  return (line) => (json ? process.stderr : process.stdout).write(`${line}\n`);
}

/** `sprout tune`: Ctrl-C stops the trials with checkpoints; the same command continues. */
async function runTune(request: TuneRequest): Promise<number> {
  const log = humanLog(request.json);
  let stop: 'SIGINT' | 'SIGTERM' | null = null;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stop) process.exit(EXIT[signal]);
    stop = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await tune({
      spaceFile: request.space,
      outDir: request.outDir,
      workers: request.workers,
      threads: request.threads,
      queue: request.queue,
      onMessage: (line) => process.stderr.write(`${line}\n`),
      shouldStop: () => stop !== null,
    });
    if (result.interrupted) return EXIT[stop ?? 'SIGINT'];
    const { state } = result;
    const chosen = state.chosen && state.trials[state.chosen.trial];
    log(summaryTable(state));
    if (state.chosen && state.test && chosen) {
      log(
        `chosen on dev: trial ${state.chosen.trial} (dev ${(state.chosen.devAccuracy * 100).toFixed(2)}%); its test accuracy, read once after choosing: ${(state.test.accuracy * 100).toFixed(2)}%`,
      );
      log(
        `train it: sprout train ${trainFlags({ ...state.space.base, ...chosen.params, epochs: state.space.maxEpochs })}`,
      );
      log(
        `report: ${request.outDir}/summary.md, curves.png; every trial: ${request.outDir}/${TUNE_STATE_FILE}`,
      );
      if (request.json)
        process.stdout.write(
          `${JSON.stringify({ chosen: { ...state.chosen, params: chosen.params }, testAccuracy: state.test.accuracy, outDir: request.outDir })}\n`,
        );
    }
    return EXIT.ok;
  } catch (error) {
    return reportFailure(error as Error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `sprout worker`: until Ctrl-C/SIGTERM (the running trials save and go back to the queue). */
async function runWorker(request: WorkerRequest): Promise<number> {
  let stop: 'SIGINT' | 'SIGTERM' | null = null;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stop) process.exit(EXIT[signal]);
    stop = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Each trial's kernel threads: the cores shared among the trials at once, unless given.
  const threads =
    request.threads ?? envThreads() ?? Math.max(1, Math.floor(availableCores() / request.concurrency));
  process.env.SPROUT_THREADS = String(threads);
  try {
    const code = await runQueueWorker({
      queue: request.queue,
      concurrency: request.concurrency,
      dataDir: request.dataDir,
      lockMs: Number(process.env.SPROUT_QUEUE_LOCK_MS) || undefined,
      onMessage: (line) => process.stdout.write(`${line}\n`),
      shouldStop: () => stop !== null,
    });
    return code !== 0 ? code : stop ? EXIT[stop] : EXIT.ok;
  } catch (error) {
    return reportFailure(error as Error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Options as the flags that set them, e.g. `--learning-rate 0.002 --no-augment`. */
function trainFlags(options: Record<string, unknown>): string {
  return Object.entries(options)
    .map(([key, value]) => {
      if (key === 'augment' || key === 'report') return value ? `--${key}` : `--no-${key}`;
      return `${flagOf(key) ?? key} ${Array.isArray(value) ? value.join(',') : value}`;
    })
    .join(' ');
}

/** `sprout predict` and `sprout export`: one job, no run to stop or checkpoint. */
async function runTool(request: PredictRequest | ExportRequest): Promise<number> {
  const log = humanLog(request.json);
  try {
    if (request.mode === 'predict' && request.files.some((f) => f.toLowerCase().endsWith('.csv')))
      return await predictCsvFiles(request, log);
    if (request.mode === 'predict') {
      const predictions = await predictImages({
        outDir: request.outDir,
        files: request.files,
        top: request.top,
        threads: request.threads,
      });
      for (const p of predictions)
        log(
          `${p.source}: ${p.top.map((t) => `${t.name ?? t.class} (${percent(t.probability)})`).join(', ')}`,
        );
      if (request.json)
        process.stdout.write(`${JSON.stringify(predictions.map((p) => ({ file: p.source, top: p.top })))}\n`);
      return EXIT.ok;
    }
    const { outDir, format, to, int8, overwrite } = request;
    const result = await exportSaved({ outDir, format, to, int8, overwrite });
    const kib = (result.bytes / 1024).toFixed(0);
    log(`exported ${outDir} as ${format}${int8 ? ' (int8)' : ''}: ${result.files.join(', ')} (${kib} KiB)`);
    if (request.json)
      process.stdout.write(`${JSON.stringify({ format, int8, files: result.files, bytes: result.bytes })}\n`);
    return EXIT.ok;
  } catch (error) {
    return reportFailure(error as Error);
  }
}

/** A regression's test metrics on one line. */
function regressionLine(m: { mse: number; mae: number; r2: number }): string {
  const g = (v: number) => Number(v.toPrecision(4));
  return `R² ${m.r2.toFixed(4)}, MAE ${g(m.mae)}, MSE ${g(m.mse)}`;
}

/** `sprout predict rows.csv`: a line for each row (its line in the file, class, probability). */
async function predictCsvFiles(request: PredictRequest, log: (line: string) => void): Promise<number> {
  const images = request.files.filter((f) => !f.toLowerCase().endsWith('.csv'));
  if (images.length)
    throw new UsageError(`give CSV files or images, not both (${images[0]} is not a .csv file)`);
  const all: { file: string; line: number; class: number; name: string; probability: number }[] = [];
  for (const file of request.files) {
    const rows = await predictCsv({ outDir: request.outDir, file, threads: request.threads });
    for (const r of rows) {
      log(
        r.value === undefined
          ? `${file}:${r.line}: ${r.name} (${percent(r.probability)})`
          : `${file}:${r.line}: ${Number(r.value.toPrecision(6))}`,
      );
      all.push({ file, ...r });
    }
  }
  if (request.json) process.stdout.write(`${JSON.stringify(all)}\n`);
  return EXIT.ok;
}

/** One line on stderr (the stack too under SPROUT_DEBUG); exit 2 for what the user fixes, else 1. */
function reportFailure(e: Error, typedFlags: Partial<Record<string, string>> = {}): number {
  process.stderr.write(`sprout: error: ${userMessage(e, typedFlags)}\n`);
  if (process.env.SPROUT_DEBUG) process.stderr.write(`${e.stack}\n`);
  return isUsageError(e) || e instanceof UsageError || e instanceof QueueUrlError ? EXIT.usage : EXIT.error;
}

/** A probability as a person reads it: two decimals, never a rounded 100.00% or 0.00%. */
function percent(p: number): string {
  if (p > 0.9999) return '>99.99%';
  if (p < 0.0001) return '<0.01%';
  return `${(p * 100).toFixed(2)}%`;
}

/** The message in the user's words: options named by the flag they typed. */
function userMessage(e: Error, typedFlags: Partial<Record<string, string>>): string {
  let message = e.message.split('\n')[0];
  if (e instanceof ConfigError) {
    // The field and the options the message mentions, by their flags; a space file's errors
    // name its keys as the file spells them (they are in its detail already).
    const fieldFlag = (name: string) =>
      typedFlags[name] ?? flagOf(name) ?? (name === 'space' || name === 'out' ? `--${name}` : name);
    message =
      e.field === 'space' ? e.describe((n) => (n === 'space' ? '--space' : n)) : e.describe(fieldFlag);
    message = message.split('\n')[0];
  }
  if (e instanceof MemoryLimitExceededError) message += ' (raise --max-memory-percent, or free memory)';
  return message;
}
