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

  it('auto times both backends where a gpu answers, keeps the faster and says what it measured', async (ctx) => {
    if (!savedDisplay) ctx.skip();
    // Software GL allowed, so that the probe runs here (Mesa llvmpipe); which one wins is not the
    // point (it depends on the machine): the choice must follow the figures it reports.
    let selection: Awaited<ReturnType<typeof createBackend>>;
    try {
      selection = await createBackend({
        backend: 'auto',
        allowSoftwareGl: true,
        probe: { batchSize: 16, hidden: 24 },
      });
    } catch {
      ctx.skip();
      return;
    }
    const { backend, report, probe } = selection;
    try {
      if (!probe) {
        // No gpu built here after all: then nothing was probed and the report says why.
        expect(selection.gpuSkipped).toBeTruthy();
        return;
      }
      expect(probe.shape).toEqual({ batchSize: 16, inputs: 784, hidden: 24, outputs: 10 });
      expect(probe.cpuMs).toBeGreaterThan(0);
      expect(probe.gpuMs).toBeGreaterThan(0);
      expect(backend.name).toBe(probe.gpuMs < probe.cpuMs ? 'gpu' : 'cpu');
      expect(report).toContain(
        `ms a training step of 784-24-10 at batch 16: gpu ${probe.gpuMs.toFixed(1)}, cpu ${probe.cpuMs.toFixed(1)}`,
      );
      if (backend.name === 'cpu') expect(report).toMatch(/^backend: cpu .*; gpu slower than the cpu \(probe/);
      // The backend kept still computes (the other one is disposed).
      const { probeStep } = await import('./probeStep.js');
      const run = probeStep(backend, { batchSize: 4, hidden: 8 });
      run.step(1);
      expect(Number.isFinite(run.loss())).toBe(true);
      run.dispose();
    } finally {
      backend.dispose();
    }
  });

  it('forced gpu and probe: false skip the probe', async (ctx) => {
    if (!savedDisplay) ctx.skip();
    let selection: Awaited<ReturnType<typeof createBackend>>;
    try {
      selection = await createBackend({ backend: 'auto', allowSoftwareGl: true, probe: false });
    } catch {
      ctx.skip();
      return;
    }
    expect(selection.probe).toBeUndefined();
    selection.backend.dispose();
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
