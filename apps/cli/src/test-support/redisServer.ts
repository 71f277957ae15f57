import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real redis-server for a test, on a free port, stopped after. `scripts/setup.sh` installs it;
 * where it is missing the tests skip, except under SPROUT_REQUIRE_REDIS (CI), where they fail.
 */
export const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasRedis && process.env.SPROUT_REQUIRE_REDIS)
  throw new Error('redis-server is not installed (bash scripts/setup.sh installs it)');

export interface RedisServer {
  port: number;
  url: string;
  /** With `tls`: the self-signed certificate (PEM file) a client must trust, e.g. NODE_EXTRA_CA_CERTS. */
  certificate?: string;
  /** Stops it (SHUTDOWN SAVE when persistent, so a restart finds the data). */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory. */
  start(): Promise<void>;
}

/** A port nobody listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A self-signed certificate for 127.0.0.1 and localhost, made by openssl in `dir`. */
function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'redis.pem');
  const key = join(dir, 'redis.key');
  const made = spawnSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
      ...['-keyout', key, '-out', cert, '-subj', '/CN=localhost'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  return { cert, key };
}

export async function startRedis(
  options: { password?: string; persistent?: boolean; tls?: boolean } = {},
): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sprout-redis-'));
  const tls = options.tls ? selfSignedCertificate(dir) : null;
  const args = [
    // With TLS the plain port is closed: only rediss:// reaches it.
    ...(tls
      ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key]
      : ['--port', String(port)]),
    ...(tls ? ['--tls-ca-cert-file', tls.cert, '--tls-auth-clients', 'no'] : []),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    ...(options.persistent
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--save', '', '--appendonly', 'no']),
    ...(options.password ? ['--requirepass', options.password] : []),
  ];
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    // Ready when it answers PING.
    for (let i = 0; i < 200; i++) {
      const ping = spawnSync(
        'redis-cli',
        [
          '-p',
          String(port),
          ...(tls ? ['--tls', '--cacert', tls.cert] : []),
          ...(options.password ? ['--no-auth-warning', '-a', options.password] : []),
          'ping',
        ],
        { encoding: 'utf8' },
      );
      if (ping.stdout.trim() === 'PONG') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${port} did not start`);
  };
  const stop = async () => {
    const c = child as ChildProcess | null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM'); // redis saves (AOF is already on disk) and exits
    await exited;
  };
  await start();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  const scheme = tls ? 'rediss' : 'redis';
  return { port, url: `${scheme}://${auth}127.0.0.1:${port}`, stop, start, certificate: tls?.cert };
}
