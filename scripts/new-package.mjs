// Writes the shared skeleton of a workspace package (package.json, tsconfig, tsup config).
// Usage: node scripts/new-package.mjs <dir> <name> "<description>" [dep=version ...]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, name, description, ...deps] = process.argv.slice(2);
mkdirSync(join(dir, 'src'), { recursive: true });
const dependencies = Object.fromEntries(deps.map((d) => d.split(/=(?=[^=]*$)/)));
const pkg = {
  name,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  engines: { node: '>=20' },
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.ts',
  exports: {
    '.': {
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  files: ['dist', 'README.md', 'CHANGELOG.md'],
  scripts: {
    build: 'tsup',
    typecheck: 'tsc --noEmit',
    lint: 'biome check .',
    test: 'vitest run',
  },
  dependencies,
  publishConfig: { access: 'public' },
  repository: { type: 'git', url: 'https://example.invalid/sprout.git', directory: dir },
};
if (!existsSync(join(dir, 'package.json')))
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  join(dir, 'tsconfig.json'),
  `${JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src', '*.ts'] }, null, 2)}\n`,
);
writeFileSync(
  join(dir, 'tsup.config.ts'),
  "import { libraryConfig } from '../../tsup.config.base';\n\nexport default libraryConfig;\n",
);
