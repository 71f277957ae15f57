import { readFileSync } from 'node:fs';
import { train } from '@sprout/trainer';

const regions = () => {
  const s = readFileSync('/proc/self/smaps', 'utf8').split('\n');
  const out = [];
  let cur = null;
  for (const line of s) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      const [range, , , , , name = ''] = line.split(/\s+/);
      const [a, b] = range.split('-').map((x) => parseInt(x, 16));
      cur = { size: (b - a) / 2 ** 20, name, rss: 0 };
      out.push(cur);
    } else if (line.startsWith('Rss:')) cur.rss = parseInt(line.split(/\s+/)[1]) / 1024;
  }
  return out
    .filter((r) => r.rss > 2)
    .sort((x, y) => y.rss - x.rss)
    .slice(0, 12)
    .map((r) => `${r.rss.toFixed(1)}/${r.size.toFixed(0)} ${r.name}`)
    .join('\n');
};
await train(
  { epochs: Number(process.argv[2] ?? 3), outDir: '/tmp/mm-' + Date.now(), report: false, backend: 'cpu' },
  { hooks: { onEpoch: (r) => r.epoch === 0 && console.log('epoch 0\n' + regions()) } },
);
console.log('end rss', (process.memoryUsage().rss / 2 ** 20).toFixed(1));
console.log(regions());
