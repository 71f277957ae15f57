// `pnpm test`: lint, then typecheck + build + every package's fast tests through turbo, then the
// slow tests (leak runs, determinism soaks, Chromium, packed tarballs) one package at a time so they
// never compete for the cores, then one closing line with the totals.
// Extra arguments go to both turbo runs (e.g. `pnpm test --filter @sprout/tensor`, `--force`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const extra = process.argv.slice(2);
const started = Date.now();
const packageDirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(root, group, d.name)),
);

// Results of an earlier run must not be counted as this run's (turbo restores them on a cache hit).
for (const dir of packageDirs) rmSync(join(dir, '.test-results'), { recursive: true, force: true });

// pnpm 10 hands its scripts pnpm_config_verify_deps_before_run="false" — a string, which the
// `pnpm run` that turbo starts per package reads as true: each then checks the dependencies and
// rewrites node_modules/.pnpm-workspace-state-v1.json (not atomically) while the others read it,
// and one in a while a task fails with "Unexpected end of JSON input". Without the variable they
// use the setting's default (off), as a `pnpm run` from a shell does.
const env = { ...process.env };
delete env.pnpm_config_verify_deps_before_run;
delete env.npm_config_verify_deps_before_run;

const failedSteps = [];
function step(name, command, args) {
  console.log(`\n> ${name}: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) failedSteps.push(name);
}

const turbo = join(root, 'node_modules', '.bin', 'turbo');
step('lint', join(root, 'node_modules', '.bin', 'biome'), ['check', '.']);
step('typecheck, lint, build and fast tests', turbo, [
  'run',
  'typecheck',
  'lint',
  'build',
  'test',
  '--continue=dependencies-successful',
  ...extra,
]);
step('slow tests, one package at a time', turbo, [
  'run',
  'test:slow',
  // Built a moment ago by the step above; --only keeps --force from rebuilding everything here.
  '--only',
  '--concurrency=1',
  '--continue=dependencies-successful',
  ...extra,
]);

const totals = { passed: 0, failed: 0, skipped: 0 };
for (const dir of packageDirs) {
  for (const set of ['fast', 'slow']) {
    const file = join(dir, '.test-results', `${set}.json`);
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, 'utf8'));
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.skipped += report.numPendingTests + report.numTodoTests;
    // A file that fails before any test runs (an import error) has no failed test to count.
    for (const file of report.testResults)
      if (file.status === 'failed' && file.assertionResults.every((t) => t.status !== 'failed'))
        totals.failed += 1;
  }
}
const seconds = Math.round((Date.now() - started) / 1000);
const steps = failedSteps.length ? `; failed steps: ${failedSteps.join(', ')}` : '';
console.log(
  `\npnpm test: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped in ${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s${steps}`,
);
process.exit(failedSteps.length || totals.failed ? 1 : 0);
