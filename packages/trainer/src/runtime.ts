// What the training loop asks of its runtime, answered in Node and in browsers alike.

/** This process's resident memory in MiB; NaN where the runtime does not tell (browsers). */
export function residentMB(): number {
  const node = globalThis.process as { memoryUsage?: { rss(): number } } | undefined;
  return node?.memoryUsage ? node.memoryUsage.rss() / 2 ** 20 : Number.NaN;
}

/**
 * A promise that settles once the event loop has run what is waiting (signal handlers, messages,
 * timers): setImmediate in Node; a message in browsers, where a `setTimeout(0)` called this often
 * is clamped to 4 ms.
 */
export function nextTask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
