import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

/**
 * A full garbage collection now, then a moment for V8 to free what it found dead: large array
 * buffers (a training set, a WebAssembly memory) are released on a background thread after the
 * collection. Without it, memory a finished phase let go of stays resident until V8 next decides
 * to collect, and the next phase's allocations come on top of it. `--expose-gc` set at run time
 * gives a `gc` to contexts created afterwards only; nothing else changes.
 */
export async function releaseMemory(): Promise<void> {
  if (!collectGarbage()) return;
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * A full garbage collection now, without waiting (see {@link releaseMemory}); false where this V8
 * gives no `gc`. After each epoch's checkpoint and after growth: the checkpoint's model bytes and
 * buffers (Adam's slots are written from views on the cpu backend, copies only on a GPU) die
 * together, and freeing them together lets malloc reuse the same blocks next epoch instead of
 * fragmenting its heap (a default run crept up ~30 MiB without it).
 */
export function collectGarbage(): boolean {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  if (!gc) return false;
  gc();
  return true;
}
