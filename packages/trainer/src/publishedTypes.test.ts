import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The published declarations compile in a TypeScript project as many still set one up:
// `module: commonjs`, no esModuleInterop, no skipLibCheck. (When they imported zod's types, zod's
// CommonJS typings gave 63 TS1259 errors there.)
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

it('the built declarations compile under module commonjs without skipLibCheck', () => {
  const project = mkdtempSync(join(tmpdir(), 'sprout-types-'));
  try {
    mkdirSync(join(project, 'node_modules', '@sprout'), { recursive: true });
    symlinkSync(packageDir, join(project, 'node_modules', '@sprout', 'trainer'));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'commonjs',
          moduleResolution: 'node',
          target: 'es2020',
          strict: true,
          noEmit: true,
        },
      }),
    );
    writeFileSync(
      join(project, 'index.ts'),
      [
        "import { resolveConfig, train, TRAIN_OPTION_INFO, type TrainConfig } from '@sprout/trainer';",
        'const config: TrainConfig = resolveConfig({ epochs: 1, hidden: [64] });',
        'console.log(config.hidden[0], TRAIN_OPTION_INFO.batchSize.flag, typeof train);',
        // The file-system-free loop's subpath, found through typesVersions where exports are not read.
        "import { TrainingLoop, type LoopData } from '@sprout/trainer/core';",
        'const data: LoopData | null = null;',
        'console.log(typeof TrainingLoop, data);',
      ].join('\n'),
    );
    const result = spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});
