import {
  kernelsRelaxedSharedWasmBase64,
  kernelsRelaxedWasmBase64,
  kernelsSharedWasmBase64,
  kernelsWasmBase64,
} from './kernels.wasm.generated.js';
import {
  type AllKernelFunctions,
  CPU_KERNELS,
  type CpuKernelFunctions,
  type KernelDeclaration,
  splitCall,
  toWasmArgs,
  WASM_KERNEL_NAMES,
  type WasmKernelFunctions,
  type WasmKernelName,
} from './kernelTable.js';
import { BrowserKernelWorker, KernelThreads } from './kernelThreads.js';
import { typescriptKernels } from './typescriptKernels.js';

export { typescriptKernels };

/** The cpu backend's hot loops (kernelTable.ts declares them), and what runs them. */
export interface CpuKernels extends CpuKernelFunctions {
  /** The WebAssembly-only kernels: present where the WebAssembly kernels loaded. */
  readonly warpImages?: AllKernelFunctions['warpImages'];
  readonly kind: 'wasm-simd' | 'typescript';
  /**
   * Whether the products use fused multiply-add (the relaxed-SIMD build). FMA rounds a·b + c once,
   * SIMD128 twice, so the two builds differ in the last bits; each is deterministic on its own.
   */
  readonly fma: boolean;
  /** Threads that share the big kernels (1 without kernel threads). */
  readonly threads: number;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(text, 'base64'));
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/**
 * worker_threads when running in Node (synchronously, without a bundler-visible import); in a
 * browser, Web Workers — when {@link browserThreadsUnavailable} finds nothing against them.
 */
function workerClass(): (new (code: string, options: Record<string, unknown>) => never) | null {
  // biome-ignore lint/suspicious/noExplicitAny: getBuiltinModule is Node ≥ 20.16
  const get = typeof process !== 'undefined' ? (process as any).getBuiltinModule : undefined;
  if (get) return get('node:worker_threads')?.Worker ?? null;
  return browserThreadsUnavailable() === null
    ? (BrowserKernelWorker as unknown as new (
        code: string,
        options: Record<string, unknown>,
      ) => never)
    : null;
}

/**
 * Why a browser cannot run the kernels on several threads, or null when it can: shared WebAssembly
 * memory needs a cross-origin isolated page (COOP/COEP headers), and the caller blocks with
 * `Atomics.wait`, which only a Web Worker may do.
 */
export function browserThreadsUnavailable(): string | null {
  // biome-ignore lint/suspicious/noExplicitAny: browser globals, absent from Node's types
  const g = globalThis as any;
  if (typeof g.Worker !== 'function' || typeof g.WorkerGlobalScope === 'undefined')
    return "runs on the page's main thread (threads need a Web Worker)";
  if (g.crossOriginIsolated !== true || typeof SharedArrayBuffer === 'undefined')
    return 'the page is not cross-origin isolated (COOP/COEP headers)';
  if ((g.navigator?.hardwareConcurrency ?? 1) < 2) return 'one core';
  return null;
}

type WasmFunction = (...args: number[]) => number;

/** The module's export for `name`, checked to be a function. */
function exportedKernel(instance: WebAssembly.Instance, name: WasmKernelName): WasmFunction {
  const value = instance.exports[name];
  if (typeof value !== 'function') throw new Error(`wasm kernels: export "${name}" missing`);
  return value as WasmFunction;
}

/**
 * One kernel bound to its WebAssembly export: arguments converted as its declaration says, and
 * cut among the kernel threads when the declaration allows and the call is big enough.
 */
function bindKernel(
  name: WasmKernelName,
  wasm: WasmFunction,
  threads: KernelThreads | null,
): (...args: (number | boolean)[]) => number {
  const declaration: KernelDeclaration = CPU_KERNELS[name];
  const rule = declaration.split;
  if (!rule || !threads) return (...args) => wasm(...toWasmArgs(declaration, args));
  const splittable = { ...declaration, split: rule };
  const runHere = (wasmArgs: readonly number[]) => wasm(...wasmArgs);
  return (...args) => {
    const pieces = threads.broken ? null : splitCall(splittable, args, threads.threads);
    if (!pieces) return wasm(...toWasmArgs(declaration, args));
    return threads.run(
      name,
      pieces.map((piece) => toWasmArgs(declaration, piece)),
      runHere,
    );
  };
}

/**
 * Whether this runtime runs WebAssembly relaxed SIMD (browsers, Node ≥ 22; Node 20 only with
 * `--experimental-wasm-relaxed-simd`, see {@link enableRelaxedSimd}), by validating the relaxed
 * build itself. Not cached: enabling the V8 flag later changes the answer.
 */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(decodeBase64(kernelsRelaxedWasmBase64));
}

/**
 * Turns on relaxed SIMD in a Node whose V8 has it behind a flag (Node 20), as
 * `--experimental-wasm-relaxed-simd` would, for this process and the worker threads it starts
 * afterwards; affects only modules compiled afterwards. A process-wide switch, so a library never
 * flips it: the CLI does, at start-up. Needs Node ≥ 20.16 (`process.getBuiltinModule`); returns
 * whether relaxed SIMD now validates.
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  // biome-ignore lint/suspicious/noExplicitAny: getBuiltinModule is Node ≥ 20.16
  const get = typeof process !== 'undefined' ? (process as any).getBuiltinModule : undefined;
  get?.('node:v8')?.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdSupported();
}

/**
 * Whether the relaxed build's multiply-add is fused on this CPU: x = 1 + 2⁻²³ gives
 * x·x − (1 + 2⁻²²) = 2⁻⁴⁶ when rounded once and 0 when the product is rounded first. Uses the
 * first words of the memory, which the heap keeps out of its blocks, and clears them.
 */
function fusesMultiplyAdd(instance: WebAssembly.Instance, memory: WebAssembly.Memory): boolean {
  const words = new Float32Array(memory.buffer, 0, 3);
  const x = 1 + 2 ** -23;
  words.set([x, x, -(1 + 2 ** -22)]);
  // A 1×1·1×1 product accumulated into the third word (the kernels' partial-vector path).
  exportedKernel(instance, 'gemm')(1, 1, 1, 0, 1, 1, 4, 8, 1);
  const fused = words[2] === 2 ** -46;
  words.fill(0);
  return fused;
}

/** Options of {@link loadWasmKernels}. */
export interface LoadWasmKernelsOptions {
  /** Threads in all (the caller's included); 1 or absent: no kernel threads. */
  threads?: number;
  /** Whether every thread has a core (waiting threads poll before sleeping). Default true. */
  spin?: boolean;
  fma?: boolean;
  onThreadsOff?: (reason: string) => void;
  /** How long a worker may leave a call unclaimed (tests shorten it). */
  stallMs?: number;
}

/**
 * Instantiates the SIMD module against a fresh memory; throws where WebAssembly SIMD is missing.
 * With `threads` > 1, the memory is shared and threads − 1 workers run pieces of each big kernel.
 */
export function loadWasmKernels(options: LoadWasmKernelsOptions = {}): {
  memory: WebAssembly.Memory;
  kernels: WasmKernelFunctions;
  threads: KernelThreads | null;
  fma: boolean;
} {
  const threadCount = options.threads ?? 1;
  const Worker = threadCount > 1 ? workerClass() : null;
  const shared = Worker !== null && typeof SharedArrayBuffer !== 'undefined';
  const memory = new WebAssembly.Memory(
    shared ? { initial: 16, maximum: 65536, shared: true } : { initial: 16, maximum: 65536 },
  );
  const instantiate = (bytes: Uint8Array<ArrayBuffer>) => {
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory,
        abort: () => {
          throw new Error('wasm kernel abort');
        },
      },
    });
    return { module, instance };
  };
  let built: ReturnType<typeof instantiate> | null = null;
  let fma = false;
  const relaxed =
    (options.fma ?? true)
      ? decodeBase64(shared ? kernelsRelaxedSharedWasmBase64 : kernelsRelaxedWasmBase64)
      : null;
  if (relaxed && WebAssembly.validate(relaxed)) {
    built = instantiate(relaxed);
    fma = fusesMultiplyAdd(built.instance, memory);
    // Without an FMA instruction (an x64 CPU without FMA3) relaxed_madd multiplies and adds apart,
    // exactly as the SIMD128 build does: load that one, and say there is no FMA.
    if (!fma) built = null;
  }
  built ??= instantiate(decodeBase64(shared ? kernelsSharedWasmBase64 : kernelsWasmBase64));
  const { module, instance } = built;
  const threads =
    shared && Worker
      ? new KernelThreads(Worker, module, memory, {
          threads: threadCount,
          spin: options.spin ?? true,
          onThreadsOff: options.onThreadsOff,
          stallMs: options.stallMs,
        })
      : null;
  // Built by name from the table; each entry's type is its declaration's, which TypeScript cannot
  // follow through Object.fromEntries.
  const kernels = Object.fromEntries(
    WASM_KERNEL_NAMES.map((name) => [name, bindKernel(name, exportedKernel(instance, name), threads)]),
  ) as unknown as WasmKernelFunctions;
  return { memory, kernels, threads, fma };
}
