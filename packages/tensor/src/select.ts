import type { Backend } from './backend.js';
import { CpuBackend, type CpuBackendOptions } from './cpu/cpuBackend.js';
import { BackendUnavailableError } from './errors.js';
import { GpuBackend, type GpuJsModule } from './gpu/gpuBackend.js';
import { fullProbeShape, type ProbeShape, timeProbeSteps } from './probeStep.js';

/**
 * Which backend to use: `auto` times a few training steps on the gpu (where a hardware GPU
 * answers) and on the cpu, and takes the faster; `cpu` and `gpu` are forced choices.
 */
export type BackendChoice = 'auto' | 'cpu' | 'gpu';

/** What {@link createBackend} chose and why. */
export interface BackendSelection {
  backend: Backend;
  /** One line for the user, e.g. "backend: cpu (WebAssembly SIMD kernels, 2 threads); gpu skipped: no display". */
  report: string;
  /** Why gpu was not used, when it was not. */
  gpuSkipped: string | null;
  /** What `auto`'s probe measured, where it ran both backends: milliseconds per training step. */
  probe?: { shape: Required<ProbeShape>; cpuMs: number; gpuMs: number };
}

/** Options for {@link createBackend}. */
export interface CreateBackendOptions extends CpuBackendOptions {
  /** Defaults to env `SPROUT_BACKEND`, else `auto`. */
  backend?: BackendChoice;
  /** Let `auto` pick a software GL renderer (llvmpipe, SwiftShader). Default false: the cpu is faster there. */
  allowSoftwareGl?: boolean;
  /**
   * The gpu.js module for the gpu backend (gpu.js is an optional peer dependency, never installed
   * with this package). In browsers pass it in (`import * as gpuJs from 'gpu.js'`), so bundlers
   * only include it when you do; in Node it defaults to the `gpu.js` installed beside this package.
   */
  gpuJs?: GpuJsModule | { default: GpuJsModule };
  /**
   * The run `auto` times both backends on, where a gpu is there to choose: a few training steps
   * of this network at this batch size (default 784-512-10 at 128; the trainer passes its own).
   * `false`: no probe, the gpu wins whenever it is there (the choice before the probe existed).
   */
  probe?: ProbeShape | false;
}

/** How to get the gpu backend, shown when gpu.js is missing. */
export const GPU_JS_HINT = 'npm install gpu.js for the gpu backend';

const SOFTWARE_RENDERERS = /llvmpipe|softpipe|swiftshader|swrast|software/i;

function envChoice(): BackendChoice | undefined {
  const value = typeof process !== 'undefined' ? process.env?.SPROUT_BACKEND : undefined;
  if (!value) return undefined;
  if (value === 'auto' || value === 'cpu' || value === 'gpu') return value;
  throw new RangeError(`SPROUT_BACKEND must be auto, cpu or gpu; got "${value}"`);
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

interface GlProbe {
  renderer: string;
}

/** headless-gl needs an X display: throws the one reason `auto` reports when there is none. */
function requireDisplay(): void {
  if (!process.env.DISPLAY)
    throw new BackendUnavailableError('gpu', 'no display: run under xvfb-run or set DISPLAY');
}

/** Creates a GL context the way gpu.js will, and reads its renderer string; throws with a reason. */
async function probeGl(): Promise<GlProbe> {
  if (isNode) {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const { dirname } = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    // headless-gl is gpu.js's dependency: look for it from gpu.js, then from here.
    const from = [fileURLToPath(import.meta.url)];
    try {
      from.unshift(require.resolve('gpu.js'));
    } catch {
      // gpu.js given by the caller, or missing (loadGpuJs said so already).
    }
    // biome-ignore lint/suspicious/noExplicitAny: headless-gl has no types here
    let createGl: any;
    try {
      createGl = require(require.resolve('gl', { paths: from.map((f) => dirname(f)) }));
    } catch (error) {
      throw new BackendUnavailableError(
        'gpu',
        `headless-gl not installed or not built (${(error as Error).message.split('\n')[0]})`,
      );
    }
    requireDisplay();
    const gl = createGl(1, 1);
    if (!gl)
      throw new BackendUnavailableError(
        'gpu',
        `headless-gl could not open a GL context on DISPLAY=${process.env.DISPLAY}`,
      );
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    let renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    // headless-gl reports only "ANGLE"; the GL driver it loaded tells what really renders.
    renderer = (await loadedGlDriver()) ?? renderer;
    gl.getExtension('STACKGL_destroy_context')?.destroy();
    return { renderer };
  }
  const canvas = typeof document !== 'undefined' ? document.createElement('canvas') : null;
  const gl = (canvas?.getContext('webgl2') ?? canvas?.getContext('webgl')) as WebGLRenderingContext | null;
  if (!gl) throw new BackendUnavailableError('gpu', 'WebGL unavailable in this browser');
  if (gl.isContextLost()) throw new BackendUnavailableError('gpu', 'WebGL context lost');
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return { renderer: String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) };
}

/** On Linux, names the GL driver mapped into this process (e.g. "Mesa llvmpipe (swrast_dri.so)"). */
async function loadedGlDriver(): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  try {
    const { readFileSync } = await import('node:fs');
    const maps = readFileSync('/proc/self/maps', 'utf8');
    if (/libnvidia-gl|libGLX_nvidia/.test(maps)) return 'NVIDIA proprietary driver';
    const drivers = [...new Set([...maps.matchAll(/dri\/(\w+)_dri\.so/g)].map((m) => m[1]))];
    const hardware = drivers.filter((d) => !/swrast|kms_swrast|llvmpipe|softpipe/.test(d));
    if (hardware.length > 0) return `Mesa ${hardware.join(', ')} (hardware)`;
    if (drivers.length > 0)
      return `Mesa llvmpipe (${drivers.map((d) => `${d}_dri.so`).join(', ')}, software)`;
  } catch {
    // No /proc: keep what GL said.
  }
  return null;
}

async function loadGpuJs(given: CreateBackendOptions['gpuJs']): Promise<GpuJsModule> {
  if (given) return 'GPU' in given ? given : given.default;
  if (isNode) {
    // gpu.js's ESM entry is its browser build (no headless-gl); Node needs the CJS main.
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    try {
      require.resolve('gpu.js');
    } catch {
      throw new BackendUnavailableError('gpu', `gpu.js not installed (${GPU_JS_HINT})`);
    }
    // Before loading gpu.js and headless-gl (~30 MB of resident memory for a process that then
    // trains on the cpu): without a display there is no GL context to be had.
    requireDisplay();
    return require('gpu.js') as GpuJsModule;
  }
  // No import('gpu.js') here: a bundler would then require gpu.js of every browser app.
  throw new BackendUnavailableError(
    'gpu',
    `gpu.js not given (${GPU_JS_HINT}, then createBackend({ gpuJs }) with import * as gpuJs from 'gpu.js')`,
  );
}

/** Builds the gpu backend and checks a real kernel result; throws BackendUnavailableError. */
export async function createGpuBackend(
  options: Pick<CreateBackendOptions, 'allowSoftwareGl' | 'gpuJs'> = {},
): Promise<GpuBackend> {
  const gpujs = await loadGpuJs(options.gpuJs);
  const { renderer } = await probeGl();
  if (!options.allowSoftwareGl && SOFTWARE_RENDERERS.test(renderer)) {
    throw new BackendUnavailableError(
      'gpu',
      `software GL renderer (${renderer}): the cpu backend is faster here`,
    );
  }
  const gpu = new gpujs.GPU({ mode: isNode ? 'headlessgl' : 'gpu' });
  const backend = new GpuBackend(
    gpujs,
    gpu,
    `gpu (gpu.js ${isNode ? 'headless-gl' : 'WebGL'} on ${renderer})`,
  );
  // A kernel that silently ran elsewhere (gpu.js falls back quietly) would pass unnoticed; check mode.
  if (gpu.mode && !['headlessgl', 'webgl', 'webgl2', 'gpu'].includes(gpu.mode)) {
    backend.dispose();
    throw new BackendUnavailableError('gpu', `gpu.js fell back to mode "${gpu.mode}"`);
  }
  return backend;
}

/**
 * Picks a backend. `auto` builds the gpu backend where a hardware GPU answers (never a software
 * renderer, unless `allowSoftwareGl`), times a few training steps on it and on the cpu (see
 * `probe`), keeps the faster and says what it measured; without a gpu it takes the cpu and says
 * why. `cpu` and `gpu` are taken as asked (`gpu` throws where it cannot run).
 *
 * @example
 * ```ts
 * const { backend, report } = await createBackend({ backend: 'auto', probe: { batchSize: 1024 } });
 * console.log(report); // "backend: cpu (WebAssembly SIMD kernels, 2 threads); gpu skipped: no display: run under xvfb-run…"
 * ```
 */
export async function createBackend(options: CreateBackendOptions = {}): Promise<BackendSelection> {
  const choice = options.backend ?? envChoice() ?? 'auto';
  if (choice === 'cpu') {
    const backend = new CpuBackend(options);
    return { backend, report: `backend: ${backend.description} (requested)`, gpuSkipped: 'cpu requested' };
  }
  let gpu: GpuBackend;
  try {
    gpu = await createGpuBackend({
      allowSoftwareGl: choice === 'gpu' || options.allowSoftwareGl,
      gpuJs: options.gpuJs,
    });
  } catch (error) {
    if (choice === 'gpu') throw error;
    const reason = error instanceof BackendUnavailableError ? error.reason : (error as Error).message;
    const backend = new CpuBackend(options);
    return { backend, report: `backend: ${backend.description}; gpu skipped: ${reason}`, gpuSkipped: reason };
  }
  if (choice === 'gpu' || options.probe === false)
    return { backend: gpu, report: `backend: ${gpu.description}`, gpuSkipped: null };
  return probeBoth(gpu, new CpuBackend(options), options.probe ?? { batchSize: 128 });
}

/** Times both backends on the probe's steps; keeps the faster, disposes the other. */
function probeBoth(gpu: GpuBackend, cpu: CpuBackend, probe: ProbeShape): BackendSelection {
  const shape = fullProbeShape(probe);
  let gpuMs: number;
  try {
    gpuMs = timeProbeSteps(gpu, shape);
  } catch (error) {
    // A GPU that answers the context check but fails a real step (a lost context, a driver bug).
    gpu.dispose();
    const reason = `its probe step failed: ${(error as Error).message}`;
    return {
      backend: cpu,
      report: `backend: ${cpu.description}; gpu skipped: ${reason}`,
      gpuSkipped: reason,
    };
  }
  const cpuMs = timeProbeSteps(cpu, shape);
  const net = `${shape.inputs}-${shape.hidden}-${shape.outputs} at batch ${shape.batchSize}`;
  const measured = `probe, ms a training step of ${net}: gpu ${gpuMs.toFixed(1)}, cpu ${cpuMs.toFixed(1)}`;
  const result = { shape, cpuMs, gpuMs };
  if (gpuMs < cpuMs) {
    cpu.dispose();
    return {
      backend: gpu,
      report: `backend: ${gpu.description} (${measured})`,
      gpuSkipped: null,
      probe: result,
    };
  }
  gpu.dispose();
  const reason = `slower than the cpu (${measured})`;
  return {
    backend: cpu,
    report: `backend: ${cpu.description}; gpu ${reason}`,
    gpuSkipped: reason,
    probe: result,
  };
}

/** A cpu backend, synchronously (no gpu probing). */
export function createCpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  return new CpuBackend(options);
}
