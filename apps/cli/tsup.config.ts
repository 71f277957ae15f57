import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
  },
  { entry: ['src/cli.ts'], format: ['esm'], sourcemap: true, target: 'node20' },
]);
