import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.config.base';

// A second entry: `@sprout/trainer/browser`, the exporters that need no file system.
export default defineConfig({
  ...libraryConfig,
  entry: ['src/index.ts', 'src/browser.ts'],
} as typeof libraryConfig);
