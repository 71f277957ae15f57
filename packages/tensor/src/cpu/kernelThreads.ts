/**
 * A second thread for the big kernels: a worker instantiates the same WebAssembly module on the
 * same shared memory and runs half of a kernel's rows while the caller runs the other half.
 * Hand-off is synchronous through Atomics on a small shared control block (Node only: the
 * browser main thread may not block). Each output element is computed by one thread with the
 * same summation order, so results are bit-identical to the single-threaded kernels.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm kernel abort'); } } }).exports;
const c = new Int32Array(control, 0, 4);
const a = new Float64Array(control, 16, 16);
let seen = 0;
for (;;) {
  Atomics.wait(c, 0, seen);
  seen = Atomics.load(c, 0);
  if (seen < 0) break;
  try {
    if (c[2] === 1) k.gemm(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
    else if (c[2] === 2) k.spmm(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    else if (c[2] === 3) k.adam(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
    c[3] = 0;
  } catch (e) {
    c[3] = 1;
  }
  Atomics.store(c, 1, seen);
  Atomics.notify(c, 1);
}
`;

/** Kernel ids shared with the worker source above. */
export const KERNEL = { gemm: 1, spmm: 2, adam: 3 } as const;

interface WorkerLike {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error' | 'exit', listener: (value: unknown) => void): void;
}

export class KernelThreads {
  private control = new SharedArrayBuffer(16 + 16 * 8);
  private c = new Int32Array(this.control, 0, 4);
  private args = new Float64Array(this.control, 16, 16);
  private seq = 0;
  private worker: WorkerLike;
  /** Set when the worker died; callers then run everything themselves. */
  broken = false;

  constructor(
    WorkerClass: new (code: string, options: Record<string, unknown>) => WorkerLike,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
  ) {
    this.worker = new WorkerClass(WORKER_SOURCE, {
      eval: true,
      workerData: { module, memory, control: this.control },
    });
    this.worker.unref();
    this.worker.on('error', () => {
      this.broken = true;
    });
    this.worker.on('exit', () => {
      this.broken = true;
    });
  }

  /** Starts `kernel(args)` on the worker; pair with {@link KernelThreads.join}. */
  start(kernel: number, args: number[]): void {
    this.args.set(args);
    this.c[2] = kernel;
    Atomics.store(this.c, 0, ++this.seq);
    Atomics.notify(this.c, 0);
  }

  /** Waits for the worker's half; throws if it failed or stalled (then threads are turned off). */
  join(): void {
    const deadline = Date.now() + 30_000;
    while (Atomics.load(this.c, 1) !== this.seq) {
      const seen = Atomics.load(this.c, 1);
      if (seen === this.seq) break;
      Atomics.wait(this.c, 1, seen, 100);
      if (this.broken || Date.now() > deadline) {
        this.broken = true;
        throw new Error('kernel worker thread stopped responding');
      }
    }
    if (this.c[3] !== 0) {
      this.broken = true;
      throw new Error('kernel worker thread failed');
    }
  }

  dispose(): void {
    Atomics.store(this.c, 0, -1);
    Atomics.notify(this.c, 0);
    void this.worker.terminate();
  }
}
