import { Redis, type RedisOptions } from 'ioredis';
import { type QueueAddress, scrub } from './queueUrl.js';

/** Redis cannot be reached, or stopped answering; the message says where (no password) and why. */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}

/** How long the first connection may take before `--queue` is reported unreachable. */
export const CONNECT_TIMEOUT_MS = 5000;

/**
 * Connects once, without retrying, and pings: an unreachable host, a closed port, a wrong
 * password or a TLS mismatch is one QueueUnavailableError within {@link CONNECT_TIMEOUT_MS}.
 */
export async function checkReachable(address: QueueAddress, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const client = new Redis({
    ...address.redis,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  let lastError: Error | null = null;
  client.on('error', (error: Error) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    const cause = lastError ?? (error as Error);
    const why = cause.message || String(error);
    throw new QueueUnavailableError(
      `cannot reach Redis at ${address.display}: ${scrub(why, address)} (${hintFor(cause, address)})`,
    );
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** What to check, by what went wrong: TLS trust, TLS expected, or the usual three. */
function hintFor(error: Error & { code?: string }, address: QueueAddress): string {
  const tls = address.redis.tls !== undefined;
  if (tls && /certificate|CERT|SSL|TLS|alert/i.test(`${error.code ?? ''} ${error.message}`))
    return "is the server's certificate trusted? point NODE_EXTRA_CA_CERTS at its CA file";
  if (!tls && error.code === 'ECONNRESET')
    return 'the server closed the connection: if it wants TLS, use rediss://';
  return 'is redis-server running there, the port open, the password right?';
}

/**
 * Options for the long-lived connections (BullMQ's and the tune's own): they retry for ever
 * (a restarted Redis is picked up again); whoever uses them decides how long is too long.
 */
export function redisOptions(address: QueueAddress): RedisOptions {
  return {
    ...address.redis,
    maxRetriesPerRequest: null,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(200 * attempt, 2000),
  };
}

/** A long-lived client whose errors are kept for the caller (not thrown as unhandled events). */
export function openRedis(address: QueueAddress): { redis: Redis; lastError: () => string | null } {
  const redis = new Redis(redisOptions(address));
  let last: string | null = null;
  redis.on('error', (error: Error) => {
    last = scrub(error.message, address);
  });
  redis.on('ready', () => {
    last = null;
  });
  return { redis, lastError: () => last };
}
