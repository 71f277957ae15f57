import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every package, packed as it would be published, installed with plain npm into a project outside
// the workspace, and used from ESM, CJS and TypeScript.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const packages = ['tensor', 'layers', 'optim', 'schedule', 'data-mnist', 'memwatch', 'trainer'].map((p) =>
  join(root, 'packages', p),
);
const sh = (cmd: string, cwd: string) =>
  execSync(cmd, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('published packages outside the workspace', () => {
  const packDir = mkdtempSync(join(tmpdir(), 'sprout-pack-'));
  const project = mkdtempSync(join(tmpdir(), 'sprout-consumer-'));

  it('pack, and install into a scratch project with npm', () => {
    for (const dir of [...packages, join(root, 'apps', 'cli')])
      sh(`pnpm pack --pack-destination ${packDir}`, dir);
    const tarballs = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(8);
    const spec = Object.fromEntries(
      tarballs.map((t) => [
        `@sprout/${t.replace(/^sprout-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`,
        `file:${join(packDir, t)}`,
      ]),
    );
    // overrides: sibling dependencies (^0.1.0) come from these tarballs, never from the registry.
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, dependencies: spec, overrides: spec }, null, 2),
    );
    // --ignore-scripts: the optional native gl build is not needed here (and must not be required).
    sh('npm install --ignore-scripts --no-audit --no-fund --loglevel=error', project);
  });

  it('@sprout/tensor alone, from ESM and CJS', () => {
    writeFileSync(
      join(project, 'tensor.mjs'),
      `import { createBackend, fromArray, matmul } from '@sprout/tensor';
const { backend, report } = await createBackend({ backend: 'cpu' });
const y = matmul(fromArray(backend, [1, 2, 3, 4], [2, 2]), fromArray(backend, [1, 0, 0, 1], [2, 2]));
console.log(JSON.stringify({ report, y: Array.from(y.toArray()) }));`,
    );
    writeFileSync(
      join(project, 'tensor.cjs'),
      `const { createCpuBackend, fromArray, softmaxCrossEntropy } = require('@sprout/tensor');
const b = createCpuBackend();
console.log(softmaxCrossEntropy(fromArray(b, [0, 0], [1, 2]), [1]).toFixed(4));`,
    );
    expect(JSON.parse(execFileSync('node', ['tensor.mjs'], { cwd: project, encoding: 'utf8' })).y).toEqual([
      1, 2, 3, 4,
    ]);
    expect(execFileSync('node', ['tensor.cjs'], { cwd: project, encoding: 'utf8' }).trim()).toBe('0.6931');
  });

  it('@sprout/schedule alone, from ESM and CJS', () => {
    writeFileSync(
      join(project, 'schedule.mjs'),
      `import { warmupDecay } from '@sprout/schedule';\nconsole.log(warmupDecay({ lr0: 1, warmup: 5, decay: 0.5, decayPatience: 10 })(15));`,
    );
    writeFileSync(
      join(project, 'schedule.cjs'),
      `const { growthSchedule } = require('@sprout/schedule');\nconsole.log(growthSchedule({ initial: 128, final: 512, growthEpochs: 20 })(20));`,
    );
    expect(execFileSync('node', ['schedule.mjs'], { cwd: project, encoding: 'utf8' }).trim()).toBe('0.5');
    expect(execFileSync('node', ['schedule.cjs'], { cwd: project, encoding: 'utf8' }).trim()).toBe('512');
  });

  it('the trainer on a small slice of the bundled MNIST, and the sprout binary', () => {
    writeFileSync(
      join(project, 'train.mjs'),
      `import { train } from '@sprout/trainer';
const r = await train({ trainLimit: 1500, devSize: 300, testLimit: 300, epochs: 2, warmupEpochs: 1, learningRate: 0.005, initialHiddenSize: 32, finalHiddenSize: 32, backend: 'cpu', report: false, outDir: 'run' });
console.log(JSON.stringify(r));`,
    );
    const result = JSON.parse(
      execFileSync('node', ['train.mjs'], { cwd: project, encoding: 'utf8' }).trim().split('\n').at(-1)!,
    );
    expect(result.testAccuracy).toBeGreaterThan(0.5);
    const help = execFileSync(join(project, 'node_modules', '.bin', 'sprout'), ['--help'], {
      encoding: 'utf8',
    });
    expect(help).toContain('--continue-training');
  });

  it('the same behaviour from CommonJS: bundled MNIST, a training run, backend selection', () => {
    writeFileSync(
      join(project, 'behaviour.cjs'),
      `const { loadDataset } = require('@sprout/data-mnist');
const { createBackend } = require('@sprout/tensor');
const { train } = require('@sprout/trainer');
(async () => {
  const data = await loadDataset({ verify: false });
  const { backend, gpuSkipped } = await createBackend({ backend: 'auto' });
  backend.dispose();
  const r = await train({ trainLimit: 1500, devSize: 300, testLimit: 300, epochs: 2, warmupEpochs: 1, learningRate: 0.005, initialHiddenSize: 32, finalHiddenSize: 32, backend: 'cpu', report: false, outDir: 'run-cjs' });
  console.log(JSON.stringify({ train: data.train.count, backend: backend.name, gpuSkipped, accuracy: r.testAccuracy }));
})();`,
    );
    const out = JSON.parse(
      execFileSync('node', ['behaviour.cjs'], { cwd: project, encoding: 'utf8' }).trim().split('\n').at(-1)!,
    );
    expect(out.train).toBe(60000);
    expect(out.backend).toBe('cpu');
    // gpu is skipped for a reason about GL or the display, never a CommonJS import.meta failure.
    expect(out.gpuSkipped).toMatch(/headless-gl|display|software GL/);
    expect(out.accuracy).toBeGreaterThan(0.5);
  });

  it('types resolve for a TypeScript consumer (tsc --noEmit)', () => {
    writeFileSync(
      join(project, 'consumer.ts'),
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
      join(project, 'tsconfig.json'),
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
    execFileSync('node', [tsc, '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8' });
  });
});

describe('release flow', () => {
  it('pnpm publish -r --dry-run succeeds for every public package', () => {
    const out = sh('pnpm publish -r --dry-run --no-git-checks 2>&1', root);
    for (const name of [
      'tensor',
      'layers',
      'optim',
      'schedule',
      'data-mnist',
      'memwatch',
      'trainer',
      'cli',
    ]) {
      expect(out).toContain(`@sprout/${name}`);
    }
    expect(out).not.toContain('@sprout/docs');
  });
});
