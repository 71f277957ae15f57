// Injected into the CommonJS builds only (tsup.config.base.ts), as `import.meta`: CommonJS has no
// import.meta.url, which createRequire (gpu.js, the bundled MNIST) needs. A getter, so node:url is
// loaded only where the URL is read: a browser entry (trainer/core, data-mnist/browser) never does.
export const importMeta = {
  get url() {
    return require('node:url').pathToFileURL(__filename).href;
  },
};
