import { afterEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError } from './errors.js';
import { createBackend, createGpuBackend } from './select.js';

const SOFTWARE = /llvmpipe|softpipe|swiftshader|swrast|software/i;

const savedDisplay = process.env.DISPLAY;
afterEach(() => {
  if (savedDisplay === undefined) delete process.env.DISPLAY;
  else process.env.DISPLAY = savedDisplay;
  delete process.env.SPROUT_BACKEND;
});

describe('createBackend', () => {
  it('falls back to cpu with "no display" when there is no X display', async () => {
    delete process.env.DISPLAY;
    const { backend, report, gpuSkipped } = await createBackend({ backend: 'auto' });
    expect(backend.name).toBe('cpu');
    expect(gpuSkipped).toMatch(/no display/);
    expect(report).toMatch(/^backend: cpu .*gpu skipped: no display/);
  });

  it('refuses a forced gpu without a display, with the reason', async () => {
    delete process.env.DISPLAY;
    await expect(createBackend({ backend: 'gpu' })).rejects.toThrow(BackendUnavailableError);
    await expect(createBackend({ backend: 'gpu' })).rejects.toThrow(/no display/);
  });

  it('never lets auto pick a software GL renderer', async (ctx) => {
    if (!savedDisplay) ctx.skip();
    // What renders GL here, found by building the gpu backend with software renderers allowed.
    let renderer: string;
    try {
      const probe = await createGpuBackend({ allowSoftwareGl: true });
      renderer = probe.description;
      probe.dispose();
    } catch {
      ctx.skip();
      return;
    }
    const { backend, gpuSkipped } = await createBackend({ backend: 'auto' });
    try {
      if (SOFTWARE.test(renderer)) {
        // Mesa llvmpipe (the usual case on a CI machine): auto must refuse it and say why.
        expect(backend.name).toBe('cpu');
        expect(gpuSkipped).toMatch(/software GL renderer/);
      } else if (backend.name === 'gpu') {
        // A real GPU: auto may pick it, but never with a software renderer behind it.
        expect(backend.description).not.toMatch(SOFTWARE);
      }
    } finally {
      backend.dispose();
    }
  });

  it('uses the gpu.js module it is given (how browsers pass it), as a namespace or a default export', async (ctx) => {
    if (!savedDisplay) ctx.skip();
    const { createRequire } = await import('node:module');
    const gpuJs = createRequire(import.meta.url)('gpu.js');
    for (const given of [gpuJs, { default: gpuJs }]) {
      const { backend } = await createBackend({ backend: 'gpu', gpuJs: given });
      expect(backend.name).toBe('gpu');
      backend.dispose();
    }
  });

  it('honours SPROUT_BACKEND and rejects bad values', async () => {
    process.env.SPROUT_BACKEND = 'cpu';
    expect((await createBackend()).report).toMatch(/requested/);
    process.env.SPROUT_BACKEND = 'tpu';
    await expect(createBackend()).rejects.toThrow(/SPROUT_BACKEND must be auto, cpu or gpu; got "tpu"/);
  });

  it('uses the TypeScript kernels when asked, and says so', async () => {
    const { backend } = await createBackend({ backend: 'cpu', kernels: 'typescript' });
    expect(backend.description).toBe('cpu (TypeScript kernels)');
  });
});
