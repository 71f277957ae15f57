// Writes a non-digit 28×28 IDX dataset for checking defaults on data nobody tuned them for:
// 10 classes of stripes whose orientation (0°, 18°, … 162°) is the class, with random phase,
// period and noise. Rotating an image by ±10° (the digit augmentation) moves it halfway to the
// next class, so augmentation should hurt here. Usage: node scripts/make-stripes-dataset.mjs DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = process.argv[2] ?? 'stripes';
let state = 12345;
const random = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state / 2 ** 32;
};
function images(count) {
  const pixels = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = Math.floor(random() * 10);
    const angle = (label * 18 * Math.PI) / 180;
    const [period, phase] = [4 + random() * 4, random() * 2 * Math.PI];
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const t = ((x - 13.5) * Math.cos(angle) + (y - 13.5) * Math.sin(angle)) * ((2 * Math.PI) / period);
        const v = 0.5 + 0.35 * Math.sin(t + phase) + (random() - 0.5) * 0.5;
        pixels[n * 784 + y * 28 + x] = Math.max(0, Math.min(255, Math.round(v * 255)));
      }
    labels[n] = label;
  }
  return { pixels, labels };
}
function idx(magic, dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => {
    header.writeUInt32BE(d, 4 + 4 * i);
  });
  return gzipSync(Buffer.concat([header, data]));
}
mkdirSync(dir, { recursive: true });
for (const [name, count] of [
  ['train', 12000],
  ['t10k', 2000],
]) {
  const { pixels, labels } = images(count);
  writeFileSync(join(dir, `${name}-images-idx3-ubyte.gz`), idx(0x803, [count, 28, 28], pixels));
  writeFileSync(join(dir, `${name}-labels-idx1-ubyte.gz`), idx(0x801, [count], labels));
}
console.log(`wrote ${dir}: 12,000 training and 2,000 test images of stripes, 10 orientations`);
