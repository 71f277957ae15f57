// Injected into the CommonJS builds only (tsup.config.base.ts): CommonJS has no import.meta.url,
// which createRequire (gpu.js, the bundled MNIST) needs. esbuild places it after "use strict".
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
