// Serves the built site: `pnpm --filter docs serve` (PORT to change the port, default 8080).
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

/** Starts a static server for site/ and resolves with its URL. */
export function serveSite(port = Number(process.env.PORT ?? 8080)) {
  const handler = sirv(join(dirname(fileURLToPath(import.meta.url)), 'site'), { dev: true });
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
