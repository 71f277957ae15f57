/**
 * Kernel threads: N − 1 workers that each instantiate the same WebAssembly module on the same
 * shared memory and run one piece of a big kernel call (kernelTable.ts says how a call is cut)
 * while the caller runs the first. Hand-off is synchronous through Atomics on one small control
 * block per worker; the caller's joins make a barrier per call (only a Web Worker or Node may
 * block, so a page's main thread never is the caller).
 *
 * The protocol, on a worker's control block ({@link SLOT}), for the caller's call number `s`:
 * 1. the caller writes `kernel`, `argc` and the arguments, then publishes the call by storing
 *    `request` = s (Atomics.store orders the writes before it) and notifying;
 * 2. the worker wakes on `request` and claims the call by moving `taken` from the call before s to s
 *    (compare-exchange); it runs the call, writes `failed`, then stores `done` = s and notifies;
 * 3. the caller's join waits until `done` equals s, then reads `failed`. If the worker has not
 *    claimed the call after {@link STALL_MS} of the caller's own waiting ({@link START_MS} before
 *    the worker said `ready`), the caller claims it
 *    with the same compare-exchange and runs the piece itself: exactly one of them runs it, so a
 *    worker that died or never got a core cannot lose or double a piece. Then threads go off.
 * Exactly one call is in flight per worker, so no slot is written by both sides at once.
 */
import { CPU_KERNELS, WASM_KERNEL_NAMES, type WasmKernelName } from './kernelTable.js';

/** Int32 slots at the start of each control block. */
export const SLOT = {
  request: 0,
  done: 1,
  kernel: 2,
  argc: 3,
  failed: 4,
  taken: 5,
  hold: 6,
  ready: 7,
  exit: 8,
} as const;
const INT_SLOTS = 10;
/**
 * Call numbers run 1, 2, …, CALL_CYCLE, 1, …: they stay Int32 on both sides (a process making calls
 * for days would otherwise reach 2³¹). Every slot starts at CALL_CYCLE, the number before 1.
 */
const CALL_CYCLE = 1 << 30;
const nextCall = (call: number) => (call === CALL_CYCLE ? 1 : call + 1);
const previousCall = (call: number) => (call === 1 ? CALL_CYCLE : call - 1);
/**
 * How long a worker polls for the next call before it sleeps, when every thread has a core.
 * Within a training step calls come every few hundred microseconds; waking a sleeping thread costs
 * tens of microseconds (a futex, and on a VM a halted vCPU), which `pnpm --filter @sprout/tensor
 * bench` measured at ~10% of a step. With more threads than cores nobody polls: a polling thread
 * would take the core another thread needs to finish its piece.
 */
const WORKER_SPIN_MS = 0.5;
/** Polls of `done` before the caller's join sleeps (~0.1 ms), when every thread has a core. */
const JOIN_SPINS = 100_000;
/** The caller's sleeps while it waits, each at most this long. */
const WAIT_SLICE_MS = 100;
/**
 * How long the caller waits for a worker to claim a call before it runs the piece itself and turns
 * threads off. Counted in the caller's own sleeps, not by the clock: a process stopped (Ctrl-Z)
 * and continued finds its clock far ahead, and must not blame a worker that had no chance to run.
 */
export const STALL_MS = 30_000;
/**
 * The same for a worker that has not started yet: starting a thread and compiling the module
 * takes ~0.1–0.5 s in Node, and in a browser a worker may wait for others to end.
 */
export const START_MS = 120_000;
/** Float64 argument slots after the int slots: enough for the longest kernel. */
const ARG_SLOTS = Math.max(...Object.values(CPU_KERNELS).map((k) => k.args.length));
const BLOCK_BYTES = INT_SLOTS * 4 + ARG_SLOTS * 8;

/** What a worker gets: everything it needs, nothing it must know by heart. */
interface WorkerInput {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** Byte offset of this worker's control block in `control`. */
  at: number;
  kernels: readonly string[];
  slot: typeof SLOT;
  intSlots: number;
  argSlots: number;
  spinMs: number;
  cycle: number;
}

/**
 * A worker's whole program. It runs from its source text in the worker (so it must not use
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
  const ints = new Int32Array(input.control, input.at, input.intSlots);
  const args = new Float64Array(input.control, input.at + input.intSlots * 4, input.argSlots);
  const { slot, spinMs, cycle } = input;
  Atomics.store(ints, slot.ready, 1);
  // Where the caller's numbering starts, not `request` now: a call published before this thread
  // started must be found.
  let seen = cycle;
  for (;;) {
    // Spin a while before sleeping: a training step hands off again within a millisecond or two.
    if (spinMs > 0 && Atomics.load(ints, slot.request) === seen) {
      const until = performance.now() + spinMs;
      let n = 0;
      while (Atomics.load(ints, slot.request) === seen && (++n & 1023 || performance.now() < until));
    }
    Atomics.wait(ints, slot.request, seen);
    seen = Atomics.load(ints, slot.request);
    if (Atomics.load(ints, slot.exit) !== 0) return;
    // A test's stand-in for a thread that gets no core: it sleeps until `hold` is cleared.
    while (Atomics.load(ints, slot.hold) !== 0) Atomics.wait(ints, slot.hold, 1);
    // The caller may have claimed the call already (it waited too long): then it is not ours.
    const previous = seen === 1 ? cycle : seen - 1;
    if (Atomics.compareExchange(ints, slot.taken, previous, seen) !== previous) continue;
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

// Workers inherit the process's execArgv: under `--input-type=module` their source runs as a module,
// where `require` does not exist, so the built-in is reached through process.getBuiltinModule.
const WORKER_SOURCE = `(${workerMain.toString()})((process.getBuiltinModule?.('node:worker_threads') ?? require('node:worker_threads')).workerData);`;
/** The same program for a browser's Web Worker: its input comes as the first message. */
const BROWSER_WORKER_SOURCE = `self.onmessage = (event) => { self.onmessage = null; (${workerMain.toString()})(event.data); };`;

/**
 * A browser Web Worker behind the `worker_threads` shape {@link KernelThreads} uses. The worker
 * starts asynchronously; that is fine: a call published before it runs is found when it does
 * (`Atomics.wait` returns at once when `request` already moved), and the caller's join waits.
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

/** Options of {@link KernelThreads}. */
export interface KernelThreadsOptions {
  /** Threads in all, the caller's included (≥ 2). */
  threads: number;
  /** Whether every thread has a core of its own: then waiting threads poll before they sleep. */
  spin: boolean;
  /** Told once, in words, why threads went off (a worker died, stalled or failed). */
  onThreadsOff?: (reason: string) => void;
  /** See {@link STALL_MS}; tests shorten it. */
  stallMs?: number;
}

/** Runs one piece of a kernel call on the calling thread. */
export type RunPiece = (wasmArgs: readonly number[]) => number;

export class KernelThreads {
  private readonly control: SharedArrayBuffer;
  private readonly ints: Int32Array[] = [];
  private readonly args: Float64Array[] = [];
  private readonly workers: WorkerLike[] = [];
  /** Calls published to each worker so far (its `request`). */
  private readonly calls: number[];
  private readonly spin: boolean;
  private readonly stallMs: number;
  /** Why threads are off, once they are; callers then run everything themselves. */
  brokenReason: string | null = null;
  /** Pieces handed to workers so far. */
  handOffs = 0;
  readonly threads: number;

  constructor(
    WorkerClass: new (code: string, options: Record<string, unknown>) => WorkerLike,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    private readonly options: KernelThreadsOptions,
  ) {
    this.threads = options.threads;
    this.spin = options.spin;
    this.stallMs = options.stallMs ?? STALL_MS;
    const count = options.threads - 1;
    this.calls = new Array<number>(count).fill(CALL_CYCLE);
    this.control = new SharedArrayBuffer(BLOCK_BYTES * count);
    for (let w = 0; w < count; w++) {
      const at = w * BLOCK_BYTES;
      const ints = new Int32Array(this.control, at, INT_SLOTS);
      for (const slot of [SLOT.request, SLOT.done, SLOT.taken]) ints[slot] = CALL_CYCLE;
      this.ints.push(ints);
      this.args.push(new Float64Array(this.control, at + INT_SLOTS * 4, ARG_SLOTS));
      const workerData: WorkerInput = {
        module,
        memory,
        control: this.control,
        at,
        kernels: WASM_KERNEL_NAMES,
        slot: SLOT,
        intSlots: INT_SLOTS,
        argSlots: ARG_SLOTS,
        spinMs: this.spin ? WORKER_SPIN_MS : 0,
        cycle: CALL_CYCLE,
      };
      const worker = new WorkerClass(WORKER_SOURCE, { eval: true, workerData });
      worker.unref();
      worker.on('error', (error) => this.turnOff(`kernel thread ${w + 1} failed: ${String(error)}`));
      worker.on('exit', () => this.turnOff(`kernel thread ${w + 1} exited`));
      this.workers.push(worker);
    }
  }

  /** Whether threads went off. */
  get broken(): boolean {
    return this.brokenReason !== null;
  }

  private turnOff(reason: string): void {
    if (this.brokenReason !== null) return;
    this.brokenReason = reason;
    this.options.onThreadsOff?.(`${reason}; the kernels run on one thread from now on`);
  }

  /**
   * Runs the pieces of one kernel call: the first on this thread, each other on a worker, and
   * returns when all are done (the barrier). Throws if a worker's piece threw.
   */
  run(kernel: WasmKernelName, pieces: readonly (readonly number[])[], runHere: RunPiece): number {
    const id = WASM_KERNEL_NAMES.indexOf(kernel);
    // Each worker counts its own calls: a worker without a piece this time is not woken.
    for (let w = 0; w < pieces.length - 1; w++) {
      const ints = this.ints[w];
      this.args[w].set(pieces[w + 1]);
      ints[SLOT.kernel] = id;
      ints[SLOT.argc] = pieces[w + 1].length;
      this.handOffs++;
      this.calls[w] = nextCall(this.calls[w]);
      Atomics.store(ints, SLOT.request, this.calls[w]);
      Atomics.notify(ints, SLOT.request);
    }
    let failed = false;
    let failure: unknown;
    const runPiece = (piece: readonly number[]) => {
      try {
        return runHere(piece);
      } catch (error) {
        if (!failed) [failed, failure] = [true, error];
        return 0;
      }
    };
    const result = runPiece(pieces[0]);
    // Even when a piece threw: the next call must not start while a worker still runs.
    let failedWorker = 0;
    for (let w = 0; w < pieces.length - 1; w++) {
      if (!this.join(w, this.calls[w])) {
        runPiece(pieces[w + 1]);
        continue;
      }
      if (this.ints[w][SLOT.failed] !== 0) failedWorker = w + 1;
    }
    if (failedWorker) this.turnOff(`kernel thread ${failedWorker} failed in ${kernel}`);
    if (failed) throw failure;
    if (failedWorker) throw new Error(`kernel thread ${failedWorker} failed in ${kernel}`);
    return result;
  }

  /**
   * Waits for worker `w` to finish call `seq`. Returns false when the worker never claimed it and
   * the caller took it back (then threads are off and the caller runs the piece).
   */
  private join(w: number, seq: number): boolean {
    const ints = this.ints[w];
    if (this.spin) for (let n = 0; n < JOIN_SPINS && Atomics.load(ints, SLOT.done) !== seq; n++);
    let waited = 0;
    let started = Atomics.load(ints, SLOT.ready) !== 0;
    for (;;) {
      const done = Atomics.load(ints, SLOT.done);
      if (done === seq) return true;
      if (Atomics.wait(ints, SLOT.done, done, WAIT_SLICE_MS) === 'timed-out') waited += WAIT_SLICE_MS;
      // A worker that has just started gets the whole stall time from now.
      if (!started && Atomics.load(ints, SLOT.ready) !== 0) [started, waited] = [true, 0];
      const limit = started ? this.stallMs : Math.max(this.stallMs, START_MS);
      if (waited < limit) continue;
      // Re-read before blaming the worker: it may have finished while this thread was stopped.
      if (Atomics.load(ints, SLOT.done) === seq) return true;
      const previous = previousCall(seq);
      if (Atomics.compareExchange(ints, SLOT.taken, previous, seq) === previous) {
        this.turnOff(
          started
            ? `kernel thread ${w + 1} did not start a call within ${limit / 1000} s`
            : `kernel thread ${w + 1} did not start within ${limit / 1000} s`,
        );
        // Later calls must not be handed to it: mark this one done on its behalf.
        Atomics.store(ints, SLOT.done, seq);
        return false;
      }
      // It claimed the call and is running it: a big piece on a busy machine; keep waiting. (A
      // worker cannot die mid-call: only this thread terminates workers, and never during a call.)
      waited = 0;
    }
  }

  /** Test support: worker `w` stops taking calls (as a thread that gets no core) until released. */
  hold(w: number, held: boolean): void {
    Atomics.store(this.ints[w], SLOT.hold, held ? 1 : 0);
    Atomics.notify(this.ints[w], SLOT.hold);
  }

  /** Test support: ends worker `w` as a crash would. */
  terminateWorker(w: number): Promise<number> {
    return this.workers[w].terminate();
  }

  dispose(): void {
    this.brokenReason ??= 'disposed';
    for (let w = 0; w < this.workers.length; w++) {
      Atomics.store(this.ints[w], SLOT.exit, 1);
      Atomics.store(this.ints[w], SLOT.request, nextCall(this.calls[w]));
      Atomics.notify(this.ints[w], SLOT.request);
      Atomics.store(this.ints[w], SLOT.hold, 0);
      Atomics.notify(this.ints[w], SLOT.hold);
      void this.workers[w].terminate();
    }
  }
}
