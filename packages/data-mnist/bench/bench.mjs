// @sprout/data-mnist benchmark: open+validate MNIST, batches/s (128) with and without augmentation,
// and the RSS growth of iterating one epoch.
import { Batches, loadBundledMnist, stratifiedSplit } from '../dist/index.js';

const mb = (b) => (b / 2 ** 20).toFixed(1);
const rss0 = process.memoryUsage().rss;
const t = performance.now();
const mnist = await loadBundledMnist({ verify: true });
const openSec = (performance.now() - t) / 1000;
const { train } = stratifiedSplit(mnist.train.labels, 5000, 1);
const rssLoaded = process.memoryUsage().rss;
let peak = rssLoaded;

function epoch(augment) {
  const batches = new Batches(mnist.train, train, { batchSize: 128, seed: 1, augment });
  const t0 = performance.now();
  let n = 0;
  for (const _ of batches.epoch(0)) {
    n++;
    if (n % 50 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  return { seconds: (performance.now() - t0) / 1000, batches: n };
}
const plain = epoch(false);
const aug = epoch({});
peak = Math.max(peak, process.memoryUsage().rss);
console.log(
  `open + validate (sizes, MD5) MNIST: ${openSec.toFixed(2)} s; RSS after load +${mb(rssLoaded - rss0)} MB`,
);
console.log(
  `epoch of 128-batches, no augmentation: ${plain.seconds.toFixed(3)} s (${Math.round(plain.batches / plain.seconds)} batches/s)`,
);
console.log(
  `epoch of 128-batches, augmented: ${aug.seconds.toFixed(2)} s (${Math.round(aug.batches / aug.seconds)} batches/s, ${((aug.seconds / aug.batches) * 1000).toFixed(2)} ms/batch)`,
);
console.log(
  `RSS growth while iterating (over loaded data): ${mb(peak - rssLoaded)} MB; total ${mb(peak - rss0)} MB`,
);
