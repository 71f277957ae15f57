// Tabular benchmark: Sprout on the user's own CSV files against scikit-learn's MLPClassifier and a
// plain NumPy MLP (tabular_peers.py), on the same files and the same split, in one run. The data
// sets are the small classification sets scikit-learn bundles (iris, wine, breast_cancer, digits);
// tabular_peers.py writes them as CSV and trains both peers on them. Sprout trains with its
// tabular defaults (`sprout train --data train.csv --label label --test test.csv`, here through
// train()), over three seeds, as do the peers' random states.
//
//   pnpm --filter @sprout/trainer bench:tabular            # writes the tabular section of BENCHMARKS.md
//   pnpm --filter @sprout/trainer bench:tabular --only=iris,wine   # prints only
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { train } from '@sprout/trainer';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const SEEDS = [42, 1, 2];
const has = spawnSync('python3', ['-c', 'import numpy, sklearn'], { stdio: 'ignore' }).status === 0;
if (!has) {
  process.stderr.write(
    'bench:tabular: python3 with NumPy and scikit-learn not found (pip install scikit-learn)\n',
  );
  process.exit(1);
}

/** Per seed: the peers' JSON (the split is the seed's too, so Sprout trains on each seed's files). */
const runs = [];
const regressionRuns = [];
for (const seed of SEEDS) {
  const out = mkdtempSync(join(tmpdir(), 'sprout-tabular-bench-'));
  const peers = spawnSync(
    'python3',
    [join(here, 'tabular_peers.py'), out, '--seed', String(seed), ...(only ? ['--only', only] : [])],
    { encoding: 'utf8' },
  );
  if (peers.status !== 0) throw new Error(`tabular_peers.py failed: ${peers.stderr}`);
  const result = JSON.parse(peers.stdout.trim().split('\n').pop());
  for (const set of result.datasets) {
    const started = performance.now();
    const r = await train({
      csv: set.train_csv,
      testCsv: set.test_csv,
      label: 'label',
      outDir: join(out, set.name, 'run'),
      seed,
      report: false,
      backend: 'cpu',
    });
    const sprout = {
      accuracy: r.testAccuracy,
      seconds: (performance.now() - started) / 1000,
      epochs: r.epochs,
    };
    runs.push({ seed, ...set, sprout, openblas: result.openblas });
    console.log(
      `${set.name} seed ${seed}: sprout ${pct(sprout.accuracy)} (${sprout.epochs} epochs, ${sprout.seconds.toFixed(1)} s), MLPClassifier ${pct(set.sklearn.accuracy)}, NumPy MLP ${pct(set.numpy.accuracy)}`,
    );
  }
  for (const set of result.regressions) {
    const started = performance.now();
    const r = await train({
      csv: set.train_csv,
      testCsv: set.test_csv,
      label: 'label',
      task: 'regression',
      outDir: join(out, set.name, 'run'),
      seed,
      report: false,
      backend: 'cpu',
    });
    const sprout = {
      r2: r.testRegression.r2,
      seconds: (performance.now() - started) / 1000,
      epochs: r.epochs,
    };
    regressionRuns.push({ seed, ...set, sprout });
    console.log(
      `${set.name} seed ${seed}: sprout R² ${sprout.r2.toFixed(3)} (${sprout.epochs} epochs), MLPRegressor ${set.sklearn.r2.toFixed(3)}, LinearRegression ${set.linear.r2.toFixed(3)}`,
    );
  }
}

function pct(a) {
  return `${(a * 100).toFixed(2)}%`;
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const names = [...new Set(runs.map((r) => r.name))];
// Which sets the small-set rule (under 1,000 training rows: no dev split) applied to.
const small = names.filter((name) => runs.find((r) => r.name === name).train_rows < 1000);
const large = names.filter((name) => !small.includes(name));
const defaultsByRows = [
  small.length &&
    `under 1,000 training rows (${small.join(', ')}) every row trains for up to 200 epochs and early stopping follows the training loss`,
  large.length &&
    `on ${large.join(', ')} early stopping follows the dev loss on a twelfth of the rows held out, at most 100 epochs`,
]
  .filter(Boolean)
  .join('; ');
const lines = [
  '<!-- tabular:start -->',
  '## Your own data: small tabular sets (`pnpm --filter @sprout/trainer bench:tabular`)',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0].model.trim()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
    'The classification sets scikit-learn bundles, each split 80/20 stratified by the seed and written as CSV (raw features, class names as labels); every system trains on the same files and is scored on the same test rows. Sprout: `sprout train --data train.csv --label label --test test.csv --seed S` with its tabular defaults (standardised features, 64→128 ReLU units, batch 32, cosine schedule; ' +
    defaultsByRows +
    "). scikit-learn: `StandardScaler` + `MLPClassifier(random_state=S, max_iter=1000)` (100 units, Adam). NumPy: standardised, 128 ReLU units, Adam 0.001, batch 32, 200 epochs. Test accuracy, mean over seeds 42, 1, 2 (min–max); seconds are Sprout's whole `train()` (reading the CSVs, every epoch's evaluation, the model file) and the peers' `fit`.",
  '',
  '| data set | rows (train/test) | features | classes | Sprout | MLPClassifier | NumPy MLP | Sprout − best peer | Sprout s | MLPClassifier s | NumPy s |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const name of names) {
  const of = runs.filter((r) => r.name === name);
  const acc = (k) => of.map((r) => r[k].accuracy);
  const cell = (k) => {
    const a = acc(k);
    return `${pct(mean(a))} (${pct(Math.min(...a))}–${pct(Math.max(...a))})`;
  };
  const gap = (mean(acc('sprout')) - Math.max(mean(acc('sklearn')), mean(acc('numpy')))) * 100;
  const secs = (k) => mean(of.map((r) => r[k].seconds)).toFixed(2);
  const r = of[0];
  lines.push(
    `| ${name} | ${r.train_rows}/${r.test_rows} | ${r.features} | ${r.classes} | ${cell('sprout')} | ${cell('sklearn')} | ${cell('numpy')} | ${gap >= 0 ? '+' : ''}${gap.toFixed(2)} points | ${secs('sprout')} | ${secs('sklearn')} | ${secs('numpy')} |`,
  );
}
const smallest = Math.min(...runs.map((r) => r.test_rows));
lines.push(
  '',
  `One test row is worth ${(100 / smallest).toFixed(1)} points on the smallest test set (${smallest} rows): read the gaps in rows as well as points. The peers train on every training row; so does Sprout under 1,000 training rows, and on larger sets it holds out a twelfth of them as its dev split (early stopping, the kept weights).`,
);
if (regressionRuns.length) {
  lines.push(
    '',
    'Regression (`--task regression`; the set scikit-learn bundles, a random 80/20 split by the seed, the target in `label`): test R², mean over the seeds (min–max). scikit-learn: `StandardScaler` + `MLPRegressor(random_state=S, max_iter=2000)` with the target standardised too; `LinearRegression` as the baseline.',
    '',
    '| data set | rows (train/test) | features | Sprout | MLPRegressor | LinearRegression | Sprout − best |',
    '|---|---|---|---|---|---|---|',
  );
  for (const name of [...new Set(regressionRuns.map((r) => r.name))]) {
    const of = regressionRuns.filter((r) => r.name === name);
    const r2 = (k) => of.map((r) => r[k].r2);
    const cell = (k) =>
      `${mean(r2(k)).toFixed(3)} (${Math.min(...r2(k)).toFixed(3)}–${Math.max(...r2(k)).toFixed(3)})`;
    const gap = mean(r2('sprout')) - Math.max(mean(r2('sklearn')), mean(r2('linear')));
    lines.push(
      `| ${name} | ${of[0].train_rows}/${of[0].test_rows} | ${of[0].features} | ${cell('sprout')} | ${cell('sklearn')} | ${cell('linear')} | ${gap >= 0 ? '+' : ''}${gap.toFixed(3)} |`,
    );
  }
}
lines.push(
  '',
  `NumPy's OpenBLAS: kernel ${runs[0].openblas.corename}, ${runs[0].openblas.threads} threads.`,
  '<!-- tabular:end -->',
);
const block = lines.join('\n');
console.log(block);
if (!only) {
  const file = join(here, '..', '..', '..', 'BENCHMARKS.md');
  const text = readFileSync(file, 'utf8');
  const re = /<!-- tabular:start -->[\s\S]*?<!-- tabular:end -->/;
  writeFileSync(file, re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n${block}\n`);
}
