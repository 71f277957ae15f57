import { kernelsSharedWasmBase64, kernelsWasmBase64 } from './kernels.wasm.generated.js';
import {
  CPU_KERNELS,
  type CpuKernelFunctions,
  type KernelDeclaration,
  splitCall,
  toWasmArgs,
  WASM_KERNEL_NAMES,
  type WasmKernelFunctions,
  type WasmKernelName,
} from './kernelTable.js';
import { KernelThreads } from './kernelThreads.js';
import { typescriptKernels } from './typescriptKernels.js';

export { typescriptKernels };

/** The cpu backend's hot loops (kernelTable.ts declares them), and what runs them. */
export interface CpuKernels extends CpuKernelFunctions {
  readonly kind: 'wasm-simd' | 'typescript';
  /** Threads that share the big kernels (1 or 2). */
  readonly threads: number;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(text, 'base64'));
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** worker_threads when running in Node (synchronously, without a bundler-visible import). */
function workerClass(): (new (code: string, options: Record<string, unknown>) => never) | null {
  // biome-ignore lint/suspicious/noExplicitAny: getBuiltinModule is Node ≥ 20.16
  const get = typeof process !== 'undefined' ? (process as any).getBuiltinModule : undefined;
  return get ? (get('node:worker_threads')?.Worker ?? null) : null;
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
 * split with the worker thread when the declaration allows and the call is big enough.
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
  return (...args) => {
    const halves = threads.broken ? null : splitCall(splittable, args);
    if (!halves) return wasm(...toWasmArgs(declaration, args));
    threads.start(name, toWasmArgs(declaration, halves.second));
    try {
      return wasm(...toWasmArgs(declaration, halves.first));
    } finally {
      // Even when this half threw: the next call must not start while the worker still runs.
      threads.join();
    }
  };
}

/**
 * Instantiates the SIMD module against a fresh memory; throws where WebAssembly SIMD is missing.
 * With `threads`, the memory is shared and a worker thread runs half of each big kernel.
 */
export function loadWasmKernels(options: { threads?: boolean } = {}): {
  memory: WebAssembly.Memory;
  kernels: WasmKernelFunctions;
  threads: KernelThreads | null;
} {
  const Worker = options.threads ? workerClass() : null;
  const shared = Worker !== null && typeof SharedArrayBuffer !== 'undefined';
  const memory = new WebAssembly.Memory(
    shared ? { initial: 16, maximum: 65536, shared: true } : { initial: 16, maximum: 65536 },
  );
  const module = new WebAssembly.Module(decodeBase64(shared ? kernelsSharedWasmBase64 : kernelsWasmBase64));
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm kernel abort');
      },
    },
  });
  const threads = shared && Worker ? new KernelThreads(Worker, module, memory) : null;
  // Built by name from the table; each entry's type is its declaration's, which TypeScript cannot
  // follow through Object.fromEntries.
  const kernels = Object.fromEntries(
    WASM_KERNEL_NAMES.map((name) => [name, bindKernel(name, exportedKernel(instance, name), threads)]),
  ) as unknown as WasmKernelFunctions;
  return { memory, kernels, threads };
}
