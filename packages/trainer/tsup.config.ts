import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.config.base';

// More entries: `@sprout/trainer/core`, the file-system-free training loop (browsers, the docs demo),
// and `@sprout/trainer/internals`, what `@sprout/tune` shares with train() (run lock, atomic writes).
export default defineConfig({
  ...libraryConfig,
  // One copy of each module for both entries in CommonJS too (esm splits by default), so an
  // error class from one entry is the other's (instanceof holds).
  splitting: true,
  entry: ['src/index.ts', 'src/core.ts', 'src/internals.ts'],
} as typeof libraryConfig);
