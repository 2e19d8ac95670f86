import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheKey, HandshakeCache } from '../../src/cache/cache.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { sandbox } from '../helpers/cli.js';

const doc = versionDocumentSchema.parse({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy' });
const url = new URL('http://127.0.0.1:8080/');
let box = sandbox();
afterEach(() => {
  box.cleanup();
  box = sandbox();
});

describe('HandshakeCache', () => {
  it('round-trips an entry, fresh until the TTL', () => {
    const cache = new HandshakeCache(join(box.dir, 'c'), 1000);
    expect(cache.write(url, doc, 10_000)).toBe(true);
    expect(cache.fresh(url, 10_500)?.document).toEqual(doc);
    expect(cache.fresh(url, 11_000)).toBeNull();
    expect(cache.read(url)?.document).toEqual(doc);
  });

  it('an entry marked stale is not fresh', () => {
    const cache = new HandshakeCache(join(box.dir, 'c'));
    cache.write(url, doc, Date.now());
    cache.markStale(url);
    expect(cache.fresh(url, Date.now())).toBeNull();
    expect(cache.read(url)?.stale).toBe(true);
  });

  it('writes files 0600 in a 0700 directory', () => {
    const dir = join(box.dir, 'c');
    new HandshakeCache(dir).write(url, doc, Date.now());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const file = readdirSync(dir)[0] as string;
    expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
  });

  it('keys a server by its URL without credentials, trailing slash or case of the host', () => {
    expect(cacheKey(new URL('http://user:pw@Example.com:8080/x/'))).toBe(cacheKey(new URL('http://example.com:8080/x')));
    expect(cacheKey(new URL('http://example.com/a'))).not.toBe(cacheKey(new URL('http://example.com/b')));
  });

  it('names a file one URL only, in lower-case letters, digits and dashes, and a long URL in a name of fixed length', () => {
    const keys = ['http://example.com/API', 'http://example.com/api', 'https://example.com/api', 'http://example.com:81/api'].map((u) =>
      cacheKey(new URL(u)),
    );
    // Distinct even where a case-insensitive file system compares names (macOS, Windows).
    expect(new Set(keys.map((k) => k.toLowerCase())).size).toBe(keys.length);
    const long = (tail: string) => cacheKey(new URL(`https://example.com/${'a'.repeat(300)}${tail}`));
    for (const key of [...keys, long('x')]) expect(key).toMatch(/^[a-z0-9-]{1,202}$/);
    expect(long('x')).toHaveLength(32);
    expect(long('x')).not.toBe(long('y'));
  });

  it.each([
    ['truncated', '{"v":1,"url":"x","fetched_'],
    ['not JSON', '\u0000\u0001garbage'],
    ['foreign JSON', '{"hello":"world"}'],
    ['a future version', '{"v":2,"url":"x","fetched_at":1,"stale":false,"document":{}}'],
    ['an invalid document', '{"v":1,"url":"x","fetched_at":1,"stale":false,"document":{"server_version":"\\u001b[2J"}}'],
  ])('a %s file reads as absent and is overwritten', (_name, content) => {
    const dir = join(box.dir, 'c');
    const cache = new HandshakeCache(dir);
    cache.write(url, doc, 1);
    writeFileSync(join(dir, `${cacheKey(url)}.json`), content);
    expect(cache.read(url)).toBeNull();
    expect(cache.write(url, doc, 2)).toBe(true);
    expect(cache.read(url)?.fetchedAt).toBe(2);
  });

  it('an unwritable directory is a cold cache, never an error', () => {
    const file = join(box.dir, 'a-file');
    writeFileSync(file, '');
    const cache = new HandshakeCache(join(file, 'sub'));
    expect(cache.write(url, doc, 1)).toBe(false);
    expect(cache.read(url)).toBeNull();
  });
});
