import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { train } from '../trainer.js';

it('writes every plot as SVG and PNG, and one self-contained report.html', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'sprout-report-'));
  await train({
    trainLimit: 600,
    devSize: 100,
    testLimit: 200,
    epochs: 2,
    initialHiddenSize: 16,
    finalHiddenSize: 32,
    growthEpochs: 2,
    backend: 'cpu',
    outDir,
  });
  for (const name of [
    'cost',
    'accuracy',
    'accuracy-zoom',
    'learning-rate',
    'hidden-width',
    'memory',
    'confusion-matrix',
    'predictions',
  ]) {
    expect(readFileSync(join(outDir, `${name}.svg`), 'utf8')).toMatch(/^<svg/);
    const png = readFileSync(join(outDir, `${name}.png`));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(2000);
  }
  const html = readFileSync(join(outDir, 'report.html'), 'utf8');
  expect(html).toContain('test accuracy');
  expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(7);
  expect(html).not.toMatch(/src="(?!data:)/); // nothing external
});
