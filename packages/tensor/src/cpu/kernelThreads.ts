/**
 * A second thread for the big kernels: a worker instantiates the same WebAssembly module on the
 * same shared memory and runs the second half of a kernel call (kernelTable.ts says how a call
 * splits) while the caller runs the first. Hand-off is synchronous through Atomics on a small
 * shared control block (Node only: the browser main thread may not block).
 *
 * The protocol, on the control block's named slots ({@link SLOT}):
 * 1. the caller writes `kernel`, `argc` and the arguments, then publishes the call by storing
 *    `request` = its sequence number (Atomics.store orders the writes before it) and notifying;
 * 2. the worker wakes on `request`, runs the call, writes `failed`, then stores `done` = the same
 *    sequence number and notifies;
 * 3. the caller's join waits until `done` equals its sequence number, then reads `failed`.
 * Exactly one call is in flight, so no slot is written by both sides at once.
 */
import { CPU_KERNELS, WASM_KERNEL_NAMES, type WasmKernelName } from './kernelTable.js';

/** Int32 slots at the start of the control block. `request` < 0 asks the worker to exit. */
export const SLOT = { request: 0, done: 1, kernel: 2, argc: 3, failed: 4 } as const;
const INT_SLOTS = 8;
/**
 * How long the worker polls for the next call before it sleeps. Within a training step calls come
 * every few hundred microseconds; waking a sleeping thread costs tens of microseconds (a futex,
 * and on a VM a halted vCPU), which `pnpm --filter @sprout/tensor bench` measured at ~10% of a step.
 * Between steps and after training the worker sleeps, so an idle process costs no CPU.
 */
const WORKER_SPIN_MS = 0.5;
/** Polls of `done` before the caller's join sleeps (~0.1 ms). */
const JOIN_SPINS = 100_000;
/** Float64 argument slots after the int slots: enough for the longest kernel. */
const ARG_SLOTS = Math.max(...Object.values(CPU_KERNELS).map((k) => k.args.length));

/** What the worker gets: everything it needs, nothing it must know by heart. */
interface WorkerInput {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  kernels: readonly string[];
  slot: typeof SLOT;
  intSlots: number;
  argSlots: number;
  spinMs: number;
}

/**
 * The worker's whole program. It runs from its source text in the worker (so it must not use
 * anything outside itself); typing it here keeps it in step with the caller's side.
 */
function workerMain(input: WorkerInput): void {
  const instance = new WebAssembly.Instance(input.module, {
    env: {
      memory: input.memory,
      abort() {
        throw new Error('wasm kernel abort');
      },
    },
  });
  const exports = instance.exports as Record<string, (...args: number[]) => number>;
  const kernels = input.kernels.map((name) => exports[name]);
  const ints = new Int32Array(input.control, 0, input.intSlots);
  const args = new Float64Array(input.control, input.intSlots * 4, input.argSlots);
  const { slot } = input;
  let seen = 0;
  const spinMs = input.spinMs;
  for (;;) {
    // Spin a while before sleeping: a training step hands off again within a millisecond or two,
    // and waking a sleeping thread (a futex, on a VM a halted vCPU) costs tens of microseconds.
    if (spinMs > 0 && Atomics.load(ints, slot.request) === seen) {
      const until = performance.now() + spinMs;
      let n = 0;
      while (Atomics.load(ints, slot.request) === seen && (++n & 1023 || performance.now() < until));
    }
    Atomics.wait(ints, slot.request, seen);
    seen = Atomics.load(ints, slot.request);
    if (seen < 0) return;
    try {
      kernels[ints[slot.kernel]].apply(null, Array.from(args.subarray(0, ints[slot.argc])));
      ints[slot.failed] = 0;
    } catch {
      ints[slot.failed] = 1;
    }
    Atomics.store(ints, slot.done, seen);
    Atomics.notify(ints, slot.done);
  }
}

const WORKER_SOURCE = `(${workerMain.toString()})(require('node:worker_threads').workerData);`;
/** The same program for a browser's Web Worker: its input comes as the first message. */
const BROWSER_WORKER_SOURCE = `self.onmessage = (event) => { self.onmessage = null; (${workerMain.toString()})(event.data); };`;

/**
 * A browser Web Worker behind the `worker_threads` shape {@link KernelThreads} uses. The worker
 * starts asynchronously; that is fine: a call published before it runs is found when it does
 * (`Atomics.wait` returns at once when `request` already moved), and the caller's join waits.
 * Only a worker may be the caller: `Atomics.wait` is refused on a page's main thread.
 */
export class BrowserKernelWorker {
  private readonly worker: Worker;
  constructor(_nodeSource: string, options: Record<string, unknown>) {
    const url = URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
    this.worker = new Worker(url);
    URL.revokeObjectURL(url);
    this.worker.postMessage(options.workerData);
  }
  unref(): void {}
  terminate(): Promise<number> {
    this.worker.terminate();
    return Promise.resolve(0);
  }
  on(event: 'error' | 'exit', listener: (value: unknown) => void): void {
    if (event === 'error') this.worker.addEventListener('error', listener);
  }
}

interface WorkerLike {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error' | 'exit', listener: (value: unknown) => void): void;
}

export class KernelThreads {
  private readonly control = new SharedArrayBuffer(INT_SLOTS * 4 + ARG_SLOTS * 8);
  private readonly ints = new Int32Array(this.control, 0, INT_SLOTS);
  private readonly args = new Float64Array(this.control, INT_SLOTS * 4, ARG_SLOTS);
  private seq = 0;
  private readonly worker: WorkerLike;
  /** Set when the worker died or failed; callers then run everything themselves. */
  broken = false;
  /** Calls handed to the worker so far. */
  handOffs = 0;

  constructor(
    WorkerClass: new (code: string, options: Record<string, unknown>) => WorkerLike,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
  ) {
    const workerData: WorkerInput = {
      module,
      memory,
      control: this.control,
      kernels: WASM_KERNEL_NAMES,
      slot: SLOT,
      intSlots: INT_SLOTS,
      argSlots: ARG_SLOTS,
      spinMs: WORKER_SPIN_MS,
    };
    this.worker = new WorkerClass(WORKER_SOURCE, { eval: true, workerData });
    this.worker.unref();
    this.worker.on('error', () => {
      this.broken = true;
    });
    this.worker.on('exit', () => {
      this.broken = true;
    });
  }

  /** Starts `kernel` with WebAssembly arguments on the worker; pair with {@link KernelThreads.join}. */
  start(kernel: WasmKernelName, wasmArgs: readonly number[]): void {
    this.args.set(wasmArgs);
    this.ints[SLOT.kernel] = WASM_KERNEL_NAMES.indexOf(kernel);
    this.ints[SLOT.argc] = wasmArgs.length;
    this.handOffs++;
    Atomics.store(this.ints, SLOT.request, ++this.seq);
    Atomics.notify(this.ints, SLOT.request);
  }

  /** Waits for the worker's half; throws if it failed or stalled (then threads are turned off). */
  join(): void {
    const deadline = Date.now() + 30_000;
    // The worker's half is usually done within microseconds of ours: spin before sleeping.
    for (let n = 0; n < JOIN_SPINS && Atomics.load(this.ints, SLOT.done) !== this.seq; n++);
    for (;;) {
      const done = Atomics.load(this.ints, SLOT.done);
      if (done === this.seq) break;
      Atomics.wait(this.ints, SLOT.done, done, 100);
      if (this.broken || Date.now() > deadline) {
        this.broken = true;
        throw new Error('kernel worker thread stopped responding');
      }
    }
    if (this.ints[SLOT.failed] !== 0) {
      this.broken = true;
      throw new Error('kernel worker thread failed');
    }
  }

  dispose(): void {
    Atomics.store(this.ints, SLOT.request, -1);
    Atomics.notify(this.ints, SLOT.request);
    void this.worker.terminate();
  }
}
