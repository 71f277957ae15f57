// The demo's Web Worker: trains with the cpu backend off the page's thread (and, where the page is
// cross-origin isolated, on kernel threads of its own: one per core, as the status line says).
import { createRunner, type ToRunner } from './runner.js';

const handle = createRunner((message) => postMessage(message));
addEventListener('message', (event) => {
  void handle((event as MessageEvent<ToRunner>).data);
});
