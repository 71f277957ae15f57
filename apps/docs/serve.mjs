// Serves the built site: `pnpm --filter docs serve` (PORT to change the port, default 8080).
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

/**
 * Starts a static server for site/ and resolves with its URL. Every response carries COOP/COEP,
 * so pages are cross-origin isolated: the demo's worker may share WebAssembly memory with its
 * kernel thread (everything the site loads is its own, so require-corp costs nothing).
 */
export function serveSite(port = Number(process.env.PORT ?? 8080), { isolated = true } = {}) {
  const handler = sirv(join(dirname(fileURLToPath(import.meta.url)), 'site'), {
    dev: true,
    // isolated: false is a static host that cannot set headers (the demo's service worker then
    // adds them), for the browser test of that path.
    setHeaders(res) {
      if (!isolated) return;
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    },
  });
  const server = createServer(handler);
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${server.address().port}/` }),
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await serveSite();
  console.log(`Sprout docs at ${url}`);
}
