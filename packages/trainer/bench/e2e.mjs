// End-to-end benchmark: Sprout's trainer vs TensorFlow.js and (where python3 has NumPy) NumPy +
// OpenBLAS on the same machine, data and model. Each system runs in its own child process (so
// peak RSS is its own) and reports per-epoch test accuracy; the parent prints a table and writes
// BENCHMARKS.md at the repository root. NumPy runs twice: with the machine's OPENBLAS_* settings
// and with them unset (OpenBLAS then picks its kernel for this CPU); the table names the kernel.
//   pnpm bench:e2e            full runs (to 98% test accuracy or the epoch/time limits)
//   pnpm bench:e2e --quick    ~300 batches per system, s/epoch extrapolated (said so in the table)
//   SPROUT_THREADS=n pnpm bench:e2e   Sprout on n kernel threads (default: every core; the table's
//                                     backend line says how many ran)
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const worker = args.includes('--worker') ? args[args.indexOf('--worker') + 1] : null;
const MAX_EPOCHS = Number(process.env.BENCH_MAX_EPOCHS ?? 15);
const TIME_BUDGET_S = Number(process.env.BENCH_TIME_BUDGET_S ?? 420);
const QUICK_BATCHES = 300;
const peakRssMB = () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage.rss() / 2 ** 20;
};

/** Dense-equivalent training FLOPs per sample of 784-H-10 (forward, weight gradients, layer-2 input gradient). */
const flopsPerSample = (h) => 4 * 794 * h + 20 * h;

async function runSprout(name) {
  const { enableRelaxedSimd, train } = await import('../dist/index.js');
  // As the sprout CLI does: the FMA kernels, behind a V8 flag before Node 22.
  enableRelaxedSimd();
  // The peers' recipe exactly: Adam 1e-3, constant, no warmup, growth or augmentation.
  const fixed = {
    learningRate: 0.001,
    initialHidden: [512],
    hidden: [512],
    growthEpochs: 0,
    augment: false,
    warmupEpochs: 0,
    decay: 1,
    patience: 0,
  };
  const config = {
    ...(name === 'sprout-fixed' ? fixed : {}),
    backend: 'cpu',
    report: false,
    outDir: join('/tmp', `sprout-bench-${name}`),
    epochs: quick ? 1 : MAX_EPOCHS,
  };
  const epochs = [];
  let stop = false;
  let batches = 0;
  let speed = 0;
  const started = performance.now();
  // The scratch directory holds the previous benchmark's run: replace it (a run refuses another's).
  const result = await train(config, {
    overwrite: true,
    hooks: {
      onEpoch: (r) => {
        if (r.epoch === 0) return;
        epochs.push({
          epoch: r.epoch,
          seconds: r.seconds,
          elapsed: r.elapsed,
          testAccuracy: r.testAccuracy,
          hiddenSize: r.hiddenSize,
          samples: Math.round(r.samplesPerSecond * r.seconds),
        });
        // The fixed net stops at 98%; the default run goes on as the CLI would (to its epoch limit or early stop).
        if (name === 'sprout-fixed' && r.testAccuracy >= 0.98) stop = true;
        if ((performance.now() - started) / 1000 > TIME_BUDGET_S) stop = true;
      },
      onBatch: (p) => {
        speed = p.samplesPerSecond;
      },
      shouldStop: () => stop || (quick && ++batches >= QUICK_BATCHES),
    },
  });
  // Quick mode: the epoch's training speed so far, extrapolated to a full epoch of 55,000 images.
  const quickRate = quick && speed > 0 ? 55000 / speed : null;
  return {
    epochs,
    quickRate,
    wallSeconds: result.wallSeconds,
    testAccuracy: result.testAccuracy,
    backend: result.backend,
  };
}

/** The bundled MNIST and the 55,000 training images Sprout's default split (dev 5,000, seed 42) keeps. */
async function sproutSplit() {
  const { loadBundledMnist, stratifiedSplit } = await import('@sprout/data-mnist');
  const mnist = await loadBundledMnist();
  return { mnist, train: stratifiedSplit(mnist.train.labels, 5000, 42).train };
}

async function runTfjs(name) {
  const tf = await import('@tensorflow/tfjs');
  if (name === 'tfjs-wasm') await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend(name === 'tfjs-wasm' ? 'wasm' : 'cpu');
  await tf.ready();
  const { mnist, train } = await sproutSplit();
  const xTrain = new Float32Array(train.length * 784);
  const yTrain = new Int32Array(train.length);
  train.forEach((k, i) => {
    for (let p = 0; p < 784; p++) xTrain[i * 784 + p] = mnist.train.images[k * 784 + p] / 255;
    yTrain[i] = mnist.train.labels[k];
  });
  const xs = tf.tensor2d(xTrain, [train.length, 784]);
  const ys = tf.oneHot(tf.tensor1d(yTrain, 'int32'), 10);
  const xTest = tf.tensor2d(
    Float32Array.from(mnist.test.images, (v) => v / 255),
    [10000, 784],
  );
  const yTest = Int32Array.from(mnist.test.labels);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-8), loss: 'categoricalCrossentropy' });
  const epochs = [];
  const started = performance.now();
  const testAccuracy = () =>
    tf.tidy(() => {
      const pred = model.predict(xTest).argMax(-1).dataSync();
      let ok = 0;
      for (let i = 0; i < pred.length; i++) if (pred[i] === yTest[i]) ok++;
      return ok / pred.length;
    });
  if (quick) {
    const t0 = performance.now();
    await model.fit(xs.slice(0, QUICK_BATCHES * 128), ys.slice(0, QUICK_BATCHES * 128), {
      batchSize: 128,
      epochs: 1,
      verbose: 0,
      shuffle: true,
    });
    const seconds = (performance.now() - t0) / 1000;
    return { epochs, quickRate: seconds * (train.length / (QUICK_BATCHES * 128)), wallSeconds: seconds };
  }
  for (let e = 1; e <= MAX_EPOCHS; e++) {
    const t0 = performance.now();
    await model.fit(xs, ys, { batchSize: 128, epochs: 1, verbose: 0, shuffle: true });
    const seconds = (performance.now() - t0) / 1000;
    const acc = testAccuracy();
    const elapsed = (performance.now() - started) / 1000;
    epochs.push({ epoch: e, seconds, elapsed, testAccuracy: acc, hiddenSize: 512, samples: train.length });
    if (acc >= 0.98 || elapsed > TIME_BUDGET_S) break;
  }
  return { epochs, quickRate: null, wallSeconds: (performance.now() - started) / 1000 };
}

if (worker) {
  const r = worker.startsWith('sprout') ? await runSprout(worker) : await runTfjs(worker);
  console.log(JSON.stringify({ system: worker, ...r, peakRssMB: peakRssMB() }));
  process.exit(0);
}

/** NumPy in a child python3 on Sprout's own split (the indices go through a file); null if absent. */
async function runNumpy(name) {
  const { bundledMnistDir } = await import('@sprout/data-mnist');
  const { train } = await sproutSplit();
  const indexFile = join('/tmp', `sprout-bench-split-${process.pid}.bin`);
  writeFileSync(indexFile, Buffer.from(train.buffer, train.byteOffset, train.byteLength));
  const env = { ...process.env };
  // The environment notes: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are set together on some
  // machines for old OpenBLAS builds; unset them together to let a current one choose.
  if (name === 'numpy-unset') {
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
  }
  const child = spawnSync(
    'python3',
    [
      join(here, 'numpy_mlp.py'),
      bundledMnistDir(),
      indexFile,
      String(quick ? 1 : MAX_EPOCHS),
      String(TIME_BUDGET_S),
    ],
    { encoding: 'utf8', env, maxBuffer: 1 << 24 },
  );
  return resultOf(child);
}

/** A child's result: its last stdout line as JSON, else the last lines it printed as the error. */
function resultOf(child) {
  const line = child.stdout.trim().split('\n').at(-1);
  try {
    return JSON.parse(line);
  } catch {
    return { error: (child.stderr || child.stdout).trim().split('\n').slice(-3).join(' ') };
  }
}

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
// --only=sprout-fixed,numpy runs some systems and prints their table without writing BENCHMARKS.md.
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const systems = [
  'sprout-fixed',
  'sprout-default',
  ...(hasNumpy ? ['numpy', 'numpy-unset'] : []),
  'tfjs-wasm',
  'tfjs-cpu',
].filter((s) => !only || only.includes(s));
if (!hasNumpy) process.stderr.write('bench:e2e: python3 with NumPy not found: the NumPy peer is not run\n');
const results = {};
for (const s of systems) {
  if (s.startsWith('numpy')) {
    process.stderr.write(`bench:e2e: running ${s}${quick ? ' (quick: 1 epoch)' : ''}…\n`);
    results[s] = await runNumpy(s);
    continue;
  }
  process.stderr.write(`bench:e2e: running ${s}${quick ? ' (quick)' : ''}…\n`);
  const child = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--worker', s, ...(quick ? ['--quick'] : [])],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      env: { ...process.env, SPROUT_BACKEND: 'cpu' },
    },
  );
  results[s] = resultOf(child);
}

const summary = (r) => {
  if (!r || r.error) return null;
  const to98 = r.epochs.find((e) => e.testAccuracy >= 0.98);
  const trainEpochs = r.epochs.length;
  const sPerEpoch =
    r.quickRate ?? (trainEpochs ? r.epochs.reduce((s, e) => s + e.seconds, 0) / trainEpochs : null);
  const flops = r.epochs.reduce((s, e) => s + e.samples * flopsPerSample(e.hiddenSize), 0);
  const flopsTo98 = to98
    ? r.epochs
        .filter((e) => e.epoch <= to98.epoch)
        .reduce((s, e) => s + e.samples * flopsPerSample(e.hiddenSize), 0)
    : null;
  return {
    sPerEpoch,
    epochsTo98: to98?.epoch ?? null,
    secondsTo98: to98?.elapsed ?? null,
    best: r.epochs.length ? Math.max(...r.epochs.map((e) => e.testAccuracy)) : null,
    rss: r.peakRssMB,
    flops,
    flopsTo98,
    epochs: trainEpochs,
    lastElapsed: r.epochs.at(-1)?.elapsed ?? r.wallSeconds,
  };
};
const S = Object.fromEntries(systems.map((s) => [s, summary(results[s])]));
const fmt = (v, d = 1) =>
  v === null || v === undefined ? '—' : typeof v === 'number' ? v.toFixed(d) : String(v);
const ratio = (a, b) => (a && b ? `${(b / a).toFixed(1)}×` : '—');
const base = S['sprout-fixed'];
const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
const lines = [];
lines.push('# Benchmarks: Sprout vs TensorFlow.js', '');
lines.push(
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpuModel}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; \`pnpm bench:e2e${quick ? ' --quick' : ''}\`.`,
);
lines.push(
  quick
    ? `**Quick mode**: each Node system trained ${QUICK_BATCHES} batches and its s/epoch is extrapolated to 55,000 images; NumPy trains one whole epoch; nothing is run to 98%.`
    : `Same data (55,000 training images of the bundled MNIST, 10,000 test), model 784-512-10 ReLU, Adam 0.001, batch 128, float32. Each system in its own process; runs stop at 98.0% test accuracy, ${MAX_EPOCHS} epochs or ${TIME_BUDGET_S} s. Ratios are peer ÷ Sprout (fixed 512), higher = Sprout better.`,
  '',
);
lines.push(
  '| system | s/epoch | epochs to 98% | seconds to 98% | best test acc | peak RSS (MiB) | s/epoch ratio | to-98% ratio | RSS ratio |',
);
lines.push('|---|---|---|---|---|---|---|---|---|');
const numpyLabel = (s) => {
  const r = results[s];
  const settings =
    s === 'numpy'
      ? Object.keys(r?.env ?? {}).length
        ? `this machine's ${Object.entries(r.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`
        : 'no OPENBLAS_* set here'
      : 'OPENBLAS_* unset';
  return `NumPy ${r?.numpy ?? ''} + OpenBLAS, ${settings}; kernel ${r?.openblas?.corename ?? '?'}, ${r?.openblas?.threads ?? '?'} threads`;
};
const label = {
  'sprout-fixed': `Sprout, fixed 784-512-10, no augmentation (${results['sprout-fixed']?.backend ?? 'cpu'})`,
  'sprout-default': 'Sprout default run (growth 256→512, augmentation, Adam 2e-3 with decay)',
  numpy: numpyLabel('numpy'),
  'numpy-unset': numpyLabel('numpy-unset'),
  'tfjs-wasm': 'TensorFlow.js 4.22, wasm backend',
  'tfjs-cpu': 'TensorFlow.js 4.22, cpu backend',
};
for (const s of systems) {
  const r = S[s];
  if (!r) {
    lines.push(`| ${label[s]} | failed: ${results[s]?.error ?? 'no result'} | | | | | | | |`);
    continue;
  }
  const to98 =
    r.secondsTo98 === null ? (quick ? '—' : `not reached in ${fmt(r.lastElapsed, 0)} s`) : fmt(r.secondsTo98);
  lines.push(
    `| ${label[s]} | ${fmt(r.sPerEpoch, 2)}${results[s].quickRate ? ' (extrapolated)' : ''} | ${fmt(r.epochsTo98, 0)} | ${to98} | ${r.best === null ? '—' : `${(r.best * 100).toFixed(2)}%`} | ${fmt(r.rss, 0)} | ${ratio(base?.sPerEpoch, r.sPerEpoch)} | ${ratio(base?.secondsTo98, r.secondsTo98)} | ${ratio(base?.rss, r.rss)} |`,
  );
}
if (!quick && S['sprout-default'] && base) {
  const g = S['sprout-default'];
  lines.push('', '## What growth buys', '');
  lines.push(
    '| run | training GFLOP to 98% (dense-equivalent) | seconds to 98% | training GFLOP, whole run | epochs |',
  );
  lines.push('|---|---|---|---|---|');
  for (const [name, r] of [
    ['fixed 512', base],
    ['growing 256→512 (default)', g],
  ]) {
    lines.push(
      `| ${name} | ${r.flopsTo98 === null ? '—' : (r.flopsTo98 / 1e9).toFixed(0)} | ${fmt(r.secondsTo98)} | ${(r.flops / 1e9).toFixed(0)} | ${r.epochs} |`,
    );
  }
  lines.push(
    '',
    'FLOPs count the dense products (1.636 MFLOP per sample at width 512); the sparse first-layer kernels skip zero pixels, so actual work is lower.',
  );
}
const numpyRuns = ['numpy', 'numpy-unset'].map((s) => S[s]).filter((r) => r?.secondsTo98);
if (numpyRuns.length && base?.secondsTo98) {
  const best = Math.min(...numpyRuns.map((r) => r.secondsTo98));
  lines.push(
    '',
    `Sprout fixed-512 vs the best NumPy run, seconds to 98% (from the start of training): ${fmt(base.secondsTo98)} s vs ${fmt(best)} s — Sprout takes ${(base.secondsTo98 / best).toFixed(2)}× NumPy's time.`,
  );
} else if (!hasNumpy) {
  lines.push('', 'NumPy peer: not run (python3 with NumPy not found on this machine).');
}
const table = lines.join('\n');
console.log(table);
const root = join(here, '..', '..', '..');
// The presets' accuracy table (`pnpm bench:presets`) and the GPU host's figures (measured there by
// scripts/device/measure-cores-and-gpu.sh) and the tabular one (bench:tabular) live in the same file: keep them.
const kept = (() => {
  try {
    const text = readFileSync(join(root, 'BENCHMARKS.md'), 'utf8');
    const sections = ['device', 'presets', 'tabular'].map(
      (name) => new RegExp(`<!-- ${name}:start -->[\\s\\S]*?<!-- ${name}:end -->`).exec(text)?.[0],
    );
    return sections.filter(Boolean).join('\n\n') || undefined;
  } catch {
    return undefined;
  }
})();
if (!only)
  writeFileSync(
    join(root, quick ? 'BENCHMARKS.quick.md' : 'BENCHMARKS.md'),
    `${table}\n${!quick && kept ? `\n${kept}\n` : ''}`,
  );
