import { expect, it } from 'vitest';
import { parseQueueUrl, scrub } from './queueUrl.js';

it('reads host, port, database, user, password and TLS from a redis:// or rediss:// URL', () => {
  expect(parseQueueUrl('redis://localhost').redis).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
  const a = parseQueueUrl('redis://:s%40cret@10.0.0.5:6380/3');
  expect(a.redis).toMatchObject({ host: '10.0.0.5', port: 6380, db: 3, password: 's@cret' });
  expect(a.redis.tls).toBeUndefined();
  expect(a.display).toBe('redis://:***@10.0.0.5:6380/3');
  const b = parseQueueUrl('rediss://sprout:pw@redis.example.com:6390');
  expect(b.redis).toMatchObject({
    username: 'sprout',
    password: 'pw',
    tls: { servername: 'redis.example.com' },
  });
  expect(b.display).toBe('rediss://sprout:***@redis.example.com:6390');
});

it('says what a --queue must be, never repeating the password', () => {
  for (const [text, message] of [
    ['http://:hunter2@host', /--queue: expected a redis:\/\/ or rediss:\/\/ URL, got http:\/\/…/],
    ['not a url :hunter2@x', /--queue: expected redis:\/\/\[:password@\]host/],
    ['redis://:hunter2@host/x', /--queue: the database in redis:\/\/:\*\*\*@host\/x must be a whole number/],
  ] as const) {
    let error: Error | null = null;
    try {
      parseQueueUrl(text);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('hunter2');
  }
});

it('scrubs the password out of messages from elsewhere', () => {
  const address = parseQueueUrl('redis://:p%2Fw@host');
  expect(scrub('WRONGPASS p/w is not p%2Fw', address)).toBe('WRONGPASS *** is not ***');
});
