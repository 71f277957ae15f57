import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type OptionValue,
  PRESETS,
  resolveConfig,
  TRAIN_OPTION_INFO,
  type TrainOptionName,
} from '@sprout/trainer';
import { readSearchSpace } from '@sprout/tune';
import { expect, it } from 'vitest';
import { buildProgram, parseArgs } from './parseArgs.js';

const configOf = (argv: string[]) => {
  const request = parseArgs(argv);
  if (request.mode !== 'train' && request.mode !== 'continue') throw new Error(request.mode);
  return request.config;
};

it('the regularisation, schedule and augmentation flags set their options', () => {
  expect(
    configOf([
      '--lr-schedule',
      'one-cycle',
      '--schedule-epochs',
      '50',
      '--weight-decay',
      '0.01',
      '--label-smoothing',
      '0.1',
      '--dropout',
      '0.2',
      '--elastic',
      '1.5',
      '--augment-shift',
      '3',
      '--augment-rotate',
      '12',
      '--augment-scale',
      '0.15',
    ]),
  ).toEqual({
    lrSchedule: 'one-cycle',
    scheduleEpochs: 50,
    weightDecay: 0.01,
    labelSmoothing: 0.1,
    dropout: 0.2,
    elastic: 1.5,
    augmentShift: 3,
    augmentRotate: 12,
    augmentScale: 0.15,
  });
  expect(() => parseArgs(['--lr-schedule', 'linear'])).toThrow(/Allowed choices are step, cosine, one-cycle/);
  expect(() => parseArgs(['--dropout', 'lots'])).toThrow(/--dropout must be a number, got "lots"/);
  // Strengths of an augmentation that is off would be silently unused.
  expect(() => parseArgs(['--elastic', '1', '--no-augment'])).toThrow(
    /--elastic sets augmentation, which --no-augment turns off/,
  );
  expect(configOf(['--elastic', '1', '--augment'])).toEqual({ elastic: 1, augment: true });
});

it('--preset fills in its options; flags given with it win; seed-default is the defaults', () => {
  expect(configOf(['--preset', 'accurate'])).toEqual(PRESETS.accurate);
  expect(configOf(['--preset', 'accurate', '--epochs', '3', '--seed', '7'])).toEqual({
    ...PRESETS.accurate,
    epochs: 3,
    seed: 7,
  });
  expect(configOf(['--preset', 'seed-default'])).toEqual({});
  expect(() => parseArgs(['--preset', 'fast'])).toThrow(/Allowed choices are seed-default, accurate/);
  // The accurate preset is the original NumPy script's network: one hidden layer growing within 128…512.
  const accurate = resolveConfig(PRESETS.accurate);
  expect(accurate.hidden).toHaveLength(1);
  expect(accurate.initialHidden[0]).toBeGreaterThanOrEqual(128);
  expect(accurate.hidden[0]).toBeLessThanOrEqual(512);
});

it('sprout tune: --space is required, --workers defaults to the cores and must be positive', () => {
  const r = parseArgs(['tune', '--space', 's.json']);
  expect(r).toMatchObject({ mode: 'tune', space: 's.json', outDir: 'runs/tune' });
  expect(r.mode === 'tune' && r.workers).toBeGreaterThanOrEqual(1);
  expect(parseArgs(['tune', '--space', 's.json', '--workers', '1', '--out', 'x'])).toMatchObject({
    workers: 1,
    outDir: 'x',
  });
  expect(() => parseArgs(['tune'])).toThrow(/required option '--space <file>' not specified/);
  expect(() => parseArgs(['tune', '--space', 's.json', '--workers', '0'])).toThrow(
    /--workers must be at least 1/,
  );
});

it('the shipped example spaces are valid, and the accurate preset is the accurate space’s choice', () => {
  const examples = join(import.meta.dirname, '..', 'examples');
  for (const file of ['tune-quick.json', 'tune-accurate.json'])
    expect(() => readSearchSpace(join(examples, file))).not.toThrow();
  const space = JSON.parse(readFileSync(join(examples, 'tune-accurate.json'), 'utf8'));
  expect(PRESETS.accurate.epochs).toBe(space.maxEpochs);
  for (const [key, value] of Object.entries(space.base)) expect(PRESETS.accurate).toHaveProperty(key, value);
  for (const key of Object.keys(space.search)) expect(PRESETS.accurate).toHaveProperty(key);
});

it('every training option with a flag in the registry is a flag here, in --help with its default, and sets its option', () => {
  const help = buildProgram().helpInformation();
  const sample: Record<OptionValue, string | null> = {
    integer: '3',
    number: '0.25',
    widths: '64,32',
    threads: '2',
    text: 'some/dir',
    choice: null,
    switch: null,
  };
  const flagged = (Object.keys(TRAIN_OPTION_INFO) as TrainOptionName[]).filter(
    (n) => TRAIN_OPTION_INFO[n].flag,
  );
  expect(flagged.length).toBeGreaterThan(30);
  for (const name of flagged) {
    const info = TRAIN_OPTION_INFO[name];
    const flag = (info.flag as string).split(' ')[0];
    expect(help, name).toContain(flag);
    const value = info.value === 'choice' ? (info.choices as readonly string[]).at(-1)! : sample[info.value];
    const argv = value === null ? [flag] : [flag, value];
    const config = configOf(argv) as Record<string, unknown>;
    const expected =
      info.value === 'switch'
        ? !flag.startsWith('--no-')
        : info.value === 'widths'
          ? [64, 32]
          : ['integer', 'number', 'threads'].includes(info.value)
            ? Number(value)
            : value;
    expect(config[name], argv.join(' ')).toEqual(expected);
  }
  // An option moved onto the command line is one registry entry: --min-delta.
  expect(configOf(['--min-delta', '0.001']).minDelta).toBe(0.001);
  expect(help.replace(/\s+/g, ' ')).toContain(
    '--min-delta <d> early stopping: the smallest gain of the --monitor that counts (default: 0)',
  );
});

it('`sprout evaluate` and `sprout continue` are --evaluate and --continue-training', () => {
  const evaluate = parseArgs(['evaluate', '--out', 'runs/a']);
  expect(evaluate.mode).toBe('evaluate');
  expect(evaluate.mode === 'evaluate' && evaluate.config.outDir).toBe('runs/a');
  const resumed = parseArgs(['continue', '--out', 'runs/a', '--epochs', '40']);
  expect(resumed.mode).toBe('continue');
  expect(resumed.mode === 'continue' && resumed.config).toEqual({ outDir: 'runs/a', epochs: 40 });
  expect(parseArgs(['train', '--evaluate']).mode).toBe('evaluate');
  expect(() => parseArgs(['evaluate', '--continue-training'])).toThrow(/cannot be combined/);
});

it('--final-hidden-size and --initial-hidden-size are one-layer shorthand for --hidden and --initial-hidden', () => {
  const r = parseArgs(['--initial-hidden-size', '64', '--final-hidden-size', '128']);
  expect(r).toMatchObject({
    config: { initialHidden: [64], hidden: [128] },
    typedFlags: { initialHidden: '--initial-hidden-size', hidden: '--final-hidden-size' },
  });
  expect(configOf(['--final-hidden-size', '300'])).toEqual({ hidden: [300] });
  expect(configOf(['--hidden', '512,256', '--initial-hidden', '128,64'])).toEqual({
    hidden: [512, 256],
    initialHidden: [128, 64],
  });
  expect(() => parseArgs(['--final-hidden-size', '300', '--hidden', '300'])).toThrow(
    '--final-hidden-size and --hidden both set the widths: give one of them',
  );
  expect(() => parseArgs(['--initial-hidden-size', '64', '--final-hidden-size', '32'])).toThrow(
    '--final-hidden-size: must be at least --initial-hidden-size (64)',
  );
  expect(() => parseArgs(['--initial-hidden-size', '64', '--hidden', '512,256'])).toThrow(
    /--hidden gives 2 layers: give --initial-hidden with a width for each/,
  );
  expect(() => parseArgs(['--final-hidden-size', '1.5'])).toThrow(/--final-hidden-size must be an integer/);
  // --help shows each shorthand just before the list flag it stands for.
  const help = buildProgram().helpInformation();
  expect(help.indexOf('--final-hidden-size')).toBeLessThan(help.indexOf('--hidden <widths>'));
  expect(help.replace(/\s+/g, ' ')).toContain(
    '--final-hidden-size <n> hidden units after growth, one hidden layer (--hidden n) (default: 512)',
  );
});
