import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.config.base';

// A second entry: `@sprout/data-mnist/browser`, for browsers and Web Workers (the docs demo),
// without the Node-only readers (IDX files, PNG) the main entry brings.
export default defineConfig({
  ...libraryConfig,
  entry: ['src/index.ts', 'src/browser.ts'],
} as typeof libraryConfig);
