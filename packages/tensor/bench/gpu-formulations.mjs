// Where a gpu.js backend's time goes on this machine's GPU, measured with gpu.js alone (no Sprout
// code): the cost of one kernel launch, of a read-back and an upload, and the matmul of the MLP's
// shapes written two ways — one value per texel (what gpu.js does by default) and four values per
// texel (RGBA, each fragment computing four columns from vec4 fetches). `--json` ends with one JSON
// line. Run under a display (xvfb-run) or on the GPU host's GL route.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { GPU } = require('gpu.js');
const quick = process.argv.includes('--quick');
const gpu = new GPU({ mode: 'headlessgl' });
gpu.addNativeFunction(
  'mad4',
  'vec4 mad4(vec4 acc, vec4 a, vec4 b0, vec4 b1, vec4 b2, vec4 b3) { return acc + a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3; }',
  {
    returnType: 'Array(4)',
    argumentTypes: {
      acc: 'Array(4)',
      a: 'Array(4)',
      b0: 'Array(4)',
      b1: 'Array(4)',
      b2: 'Array(4)',
      b3: 'Array(4)',
    },
  },
);
const opts = (output, extra = {}) => ({
  output,
  pipeline: true,
  immutable: false,
  tactic: 'precision',
  precision: 'single',
  ...extra,
});

/** Seconds per call of `fn`, `reps` calls then a read of `sync()` (the GPU runs asynchronously). */
function time(fn, sync, minSeconds = quick ? 0.3 : 1) {
  fn();
  sync();
  let best = Number.POSITIVE_INFINITY;
  for (let slice = 0; slice < 3; slice++) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < (minSeconds * 1000) / 3) {
      for (let i = 0; i < 4; i++) fn();
      sync();
      n += 4;
    }
    best = Math.min(best, (performance.now() - t0) / 1000 / n);
  }
  return best;
}

const results = { renderer: null, launch: {}, matmulGflops: {} };
const random = (n) => Float32Array.from({ length: n }, (_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
const rows = (flat, r, c) => Array.from({ length: r }, (_, i) => flat.subarray(i * c, (i + 1) * c));

// Launch: a kernel writing one texel, and one writing a 512x512 texture from another.
const tiny = gpu.createKernel('function(v) { return v + 1.0; }', opts([1, 1]));
const tinySync = () => tiny(0).toArray();
tiny(0);
const gl = tiny.kernel.context;
const info = gl.getExtension('WEBGL_debug_renderer_info');
const renderer = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
results.renderer = renderer;
results.launch.tinyKernelUs = time(() => tiny(1), tinySync) * 1e6;
const fill = gpu.createKernel('function(v) { return v; }', opts([512, 512]));
const big = fill(0.5);
const copy = gpu.createKernel(
  'function(x) { return x[this.thread.y][this.thread.x] * 1.0001; }',
  opts([512, 512]),
);
results.launch.copy512x512Us = time(() => copy(big), tinySync) * 1e6;
// A read-back of 128x10 values (a batch's logits), and an upload of a 128x784 batch.
const logits = gpu.createKernel('function(v) { return v; }', opts([10, 128]));
const lt = logits(0.25);
results.launch.readback128x10Us =
  time(
    () => lt.toArray(),
    () => {},
  ) * 1e6;
const upload = gpu.createKernel('function(x) { return x[this.thread.y][this.thread.x]; }', opts([784, 128]));
const batch = rows(random(128 * 784), 128, 784);
results.launch.upload128x784Us = time(() => upload(batch), tinySync) * 1e6;

const scalarMm =
  'function(a, b) { var s = 0.0; for (var p = 0; p < this.constants.k; p++) { s += a[this.thread.y][p] * b[p][this.thread.x]; } return s; }';
const vec4Mm = `function(a, b) {
  var i = this.thread.y; var j = this.thread.x; var s = [0.0, 0.0, 0.0, 0.0];
  for (var p = 0; p < this.constants.k4; p++) {
    var av = a[i][p];
    s = mad4(s, av, b[p * 4][j], b[p * 4 + 1][j], b[p * 4 + 2][j], b[p * 4 + 3][j]);
  }
  return s;
}`;
const pack4 =
  'function(x) { var j = this.thread.x * 4; var i = this.thread.y; return [x[i][j], x[i][j + 1], x[i][j + 2], x[i][j + 3]]; }';
const K = 784;
const N = 512;
const checks = {};
for (const M of quick ? [128, 1024] : [128, 1024, 8192]) {
  const aFlat = random(M * K);
  const bFlat = random(K * N);
  const toTexture = gpu.createKernel('function(x) { return x[this.thread.y][this.thread.x]; }', opts([K, M]));
  const toTextureB = gpu.createKernel(
    'function(x) { return x[this.thread.y][this.thread.x]; }',
    opts([N, K]),
  );
  const a = toTexture(rows(aFlat, M, K)).clone();
  const b = toTextureB(rows(bFlat, K, N)).clone();
  const mm1 = gpu.createKernel(scalarMm, opts([N, M], { constants: { k: K } }));
  let out1 = null;
  const s1 = time(
    () => {
      out1 = mm1(a, b);
    },
    () => out1.toArray(),
  );
  const packA = gpu.createKernel(pack4, opts([K / 4, M], { returnType: 'Array(4)' }));
  const packB = gpu.createKernel(pack4, opts([N / 4, K], { returnType: 'Array(4)' }));
  const a4 = packA(a).clone();
  const b4 = packB(b).clone();
  const mm4 = gpu.createKernel(
    vec4Mm,
    opts([N / 4, M], { returnType: 'Array(4)', constants: { k4: K / 4 } }),
  );
  let out4 = null;
  const s4 = time(
    () => {
      out4 = mm4(a4, b4);
    },
    () => out4.toArray(),
  );
  const flops = 2 * M * K * N;
  results.matmulGflops[`${M}x${K}.${K}x${N}`] = { scalar: flops / s1 / 1e9, vec4: flops / s4 / 1e9 };
  // Both against a float64 loop on row 0 and the last row (a wrong shader must not look fast).
  const r1 = out1.toArray();
  const r4 = out4.toArray();
  let worst = 0;
  for (const i of [0, M - 1])
    for (let j = 0; j < N; j++) {
      let ref = 0;
      for (let p = 0; p < K; p++) ref += aFlat[i * K + p] * bFlat[p * N + j];
      worst = Math.max(worst, Math.abs(r1[i][j] - ref), Math.abs(r4[i][j >> 2][j & 3] - ref));
    }
  checks[M] = worst;
}
results.maxAbsError = checks;
console.log(`renderer: ${renderer}`);
for (const [k, v] of Object.entries(results.launch)) console.log(`${k}: ${v.toFixed(1)}`);
console.log('matmul GFLOP/s | one value per texel | four per texel (vec4)');
for (const [k, v] of Object.entries(results.matmulGflops))
  console.log(`${k} | ${v.scalar.toFixed(1)} | ${v.vec4.toFixed(1)}`);
console.log(`max |error| vs float64: ${JSON.stringify(checks)}`);
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
