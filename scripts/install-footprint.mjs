#!/usr/bin/env node
// What a user pays to install each published package alone: packs the workspace's public packages
// (or takes the tarballs already in --from), installs each scenario with plain npm into an empty
// folder outside the repo, with a fresh npm cache (downloads included, as for a first install),
// and prints package | tarball KB | install MB | install s | native builds.
//
//   node scripts/install-footprint.mjs [--from DIR] [--only tensor,trainer] [--json FILE]
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const PUBLIC = [
  'tensor',
  'layers',
  'optim',
  'schedule',
  'data-mnist',
  'memwatch',
  'export',
  'trainer',
  'tune',
  'cli',
];
const SCENARIOS = ['tensor', 'schedule', 'memwatch', 'export', 'trainer', 'tune', 'cli'];
const only = arg('--only')?.split(',') ?? SCENARIOS;

let packDir = arg('--from');
if (!packDir) {
  packDir = mkdtempSync(join(tmpdir(), 'sprout-footprint-pack-'));
  for (const name of PUBLIC) {
    const dir = join(root, name === 'cli' ? 'apps' : 'packages', name);
    execSync(`pnpm pack --pack-destination ${packDir}`, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
const tarballs = Object.fromEntries(
  readdirSync(packDir)
    .filter((f) => f.endsWith('.tgz'))
    .map((f) => [f.replace(/^sprout-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, ''), join(packDir, f)]),
);
const spec = Object.fromEntries(Object.entries(tarballs).map(([n, t]) => [`@sprout/${n}`, `file:${t}`]));

const du = (dir) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
const rows = [];
for (const name of only) {
  const project = mkdtempSync(join(tmpdir(), `sprout-footprint-${name}-`));
  const cache = join(project, '.npm-cache');
  mkdirSync(cache);
  // overrides: sibling packages come from these tarballs, never from the registry.
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      dependencies: { [`@sprout/${name}`]: spec[`@sprout/${name}`] },
      overrides: spec,
    }),
  );
  const start = performance.now();
  const log = execSync(`npm install --no-audit --no-fund --foreground-scripts --cache ${cache} 2>&1`, {
    cwd: project,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = (performance.now() - start) / 1000;
  const nodeModules = join(project, 'node_modules');
  // node-gyp compiling, not node-gyp-build finding a prebuilt binary (msgpackr-extract, under bullmq).
  const native = /gyp info|node-gyp (rebuild|build)|\bcc1plus\b|\bg\+\+ /.test(log);
  const packages =
    execSync('npm ls --all --parseable 2>/dev/null || true', { cwd: project, encoding: 'utf8' })
      .trim()
      .split('\n').length - 1;
  rows.push({
    package: `@sprout/${name}`,
    tarballKB: Math.round(statSync(tarballs[name]).size / 1024),
    installMB: +(du(nodeModules) / 1e6).toFixed(1),
    installSeconds: +seconds.toFixed(1),
    packages,
    nativeBuild: native,
  });
  console.error(JSON.stringify(rows.at(-1)));
  if (!args.includes('--keep')) rmSync(project, { recursive: true, force: true });
}
console.log('| package | tarball KB | install MB | install s | packages installed | native build |');
console.log('|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.package} | ${r.tarballKB} | ${r.installMB} | ${r.installSeconds} | ${r.packages} | ${r.nativeBuild ? 'yes' : 'no'} |`,
  );
const out = arg('--json');
if (out) writeFileSync(out, JSON.stringify(rows, null, 2));
