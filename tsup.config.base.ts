import { defineConfig } from 'tsup';

/** Every library package builds the same way: ESM + CJS + .d.ts + sourcemaps from src/index.ts. */
export const libraryConfig = defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // import.meta.url (createRequire for gpu.js and the bundled MNIST) is empty in CommonJS without it.
  shims: true,
});
