import { isIP } from 'node:net';
import type { RedisOptions } from 'ioredis';

/** A `--queue` URL taken apart: how to connect, and how to show it (never with the password). */
export interface QueueAddress {
  /** ioredis options: host, port, db, username, password, TLS for `rediss://`. */
  redis: RedisOptions;
  /** The URL with any password replaced by `***`: the only form that is logged or saved. */
  display: string;
  /** The password as given (to scrub from third-party error messages), or null. */
  secret: string | null;
}

/** A `--queue` URL that is not one; the message names the flag and what was expected. */
export class QueueUrlError extends Error {
  override name = 'QueueUrlError';
}

/**
 * Reads `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (TLS). The password may
 * hold any character percent-encoded (`%40` for `@`). Errors never repeat the password.
 */
export function parseQueueUrl(text: string): QueueAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new QueueUrlError(
      `--queue: expected redis://[:password@]host[:port][/db] or rediss://… (TLS), got ${JSON.stringify(redact(text))}`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new QueueUrlError(
      `--queue: expected a redis:// or rediss:// URL, got ${url.protocol}//… (${displayOf(url)})`,
    );
  if (!url.hostname) throw new QueueUrlError(`--queue: ${displayOf(url)} names no host`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0)
    throw new QueueUrlError(
      `--queue: the database in ${displayOf(url)} must be a whole number, got "${dbText}"`,
    );
  const password = url.password === '' ? null : decodeURIComponent(url.password);
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    redis: {
      host,
      port,
      db,
      username,
      password: password ?? undefined,
      // SNI names a host; Node warns (DEP0123) when given an address, which it checks by IP SAN anyway.
      ...(url.protocol === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {}),
    },
    display: displayOf(url),
    secret: password,
  };
}

/** The URL as it may be shown: the password (if any) as `***`. */
function displayOf(url: URL): string {
  const shown = new URL(url.href);
  if (shown.password !== '') shown.password = '***';
  return shown.href.replace(/\/$/, '');
}

/** For text that is not even a URL: hide whatever sits between `:` and `@`. */
function redact(text: string): string {
  return text.replace(/:[^:@/]*@/, ':***@');
}

/** `message` with every occurrence of the password replaced (errors from Redis or its clients). */
export function scrub(message: string, address: QueueAddress): string {
  if (!address.secret) return message;
  return message.split(address.secret).join('***').split(encodeURIComponent(address.secret)).join('***');
}
