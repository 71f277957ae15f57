import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.config.base';

// A second entry: `@sprout/data-mnist/browser`, for browsers and Web Workers (the docs demo),
// without the Node-only readers (IDX files, PNG) the main entry brings.
export default defineConfig({
  ...libraryConfig,
  // One copy of each module for both entries in CommonJS too (esm splits by default), so an
  // error class from one entry is the other's (instanceof holds).
  splitting: true,
  entry: ['src/index.ts', 'src/browser.ts'],
} as typeof libraryConfig);
