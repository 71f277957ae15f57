import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.config.base';

export default defineConfig([
  libraryConfig as Record<string, unknown>,
  { entry: ['src/cli.ts'], format: ['esm'], sourcemap: true, target: 'node20' },
]);
