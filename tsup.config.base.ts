import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';

/** Every library package builds the same way: ESM + CJS + .d.ts + sourcemaps from src/index.ts. */
export const libraryConfig = defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Nothing from node_modules is bundled: every package import stays an import, resolved from
  // the dependencies the package declares (the pack test checks each one is declared). A bundled
  // copy would duplicate what users install, and would need its licence shipped.
  external: [/^[^./]/],
  // Keep `node:` in imports: browsers bundlers (the docs demo) recognise node: builtins by it.
  removeNodeProtocol: false,
  // CommonJS has no import.meta.url (createRequire for gpu.js and the bundled MNIST needs it): give
  // the CJS build an `import.meta` whose url getter makes one from __filename when read. Not tsup's
  // `shims`, whose ESM half imports node:url and node:path into the ESM build, which browsers (the
  // docs demo) then cannot load.
  esbuildOptions(options, { format }) {
    if (format !== 'cjs') return;
    options.define = { ...options.define, 'import.meta': 'importMeta' };
    options.inject = [
      ...(options.inject ?? []),
      fileURLToPath(new URL('./scripts/cjs-import-meta-url.js', import.meta.url)),
    ];
  },
});
