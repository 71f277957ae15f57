import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.config.base';

// A second entry: `@sprout/trainer/core`, the file-system-free training loop (browsers, the docs demo).
export default defineConfig({
  ...libraryConfig,
  entry: ['src/index.ts', 'src/core.ts'],
} as typeof libraryConfig);
