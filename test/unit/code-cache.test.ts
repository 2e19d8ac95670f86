import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// bin/startup/code-cache.js: what reaches V8 is checked first (V8 checks nothing but its version, its flags and the
// source's length). The end-to-end side (a damaged cache crashed every run) is in test/e2e/startup.test.ts.
interface Bundle {
  length: number;
  crc: number;
}
const { readCache, writeCache, cacheName } = (await import(new URL('../../bin/startup/code-cache.js', import.meta.url).href)) as {
  readCache(path: string, bundle: Bundle): Buffer | undefined;
  writeCache(path: string, bundle: Bundle, make: () => Buffer): boolean;
  cacheName(version: string, bundle: Bundle): string;
};

const source = Buffer.from('module.exports = 42;');
const bundle = { length: source.length, crc: crc32(source) };
const data = Buffer.from('pretend V8 code cache data '.repeat(400));
let dir: string;
let path: string;

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'handshake-code-cache-')), 'code-cache');
  mkdirSync(dir, { mode: 0o700 });
  path = join(dir, cacheName('1.0.0', bundle));
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

describe('the code cache file', () => {
  it('is named by the bundle content, and what is written is read back whole', () => {
    expect(cacheName('1.0.0', bundle)).toBe(
      `cli-1.0.0-${source.length}-${crc32(source).toString(16).padStart(8, '0')}-${process.version}-${process.arch}.v8`,
    );
    expect(writeCache(path, bundle, () => data)).toBe(true);
    expect(readCache(path, bundle)?.equals(data)).toBe(true);
    expect(readdirSync(dir)).toEqual([path.slice(dir.length + 1)]);
  });

  it('any damage to the data or the header: not returned, and deleted', () => {
    writeCache(path, bundle, () => data);
    const good = readFileSync(path);
    const damaged = (f: (b: Buffer) => Buffer) => {
      writeFileSync(path, f(Buffer.from(good)));
      const read = readCache(path, bundle);
      const left = readdirSync(dir);
      writeFileSync(path, good);
      return { read, left };
    };
    const flip = (at: number) => (b: Buffer) => {
      b[at] = (b[at] as number) ^ 1;
      return b;
    };
    for (const at of [0, 4, 8, 12, 16, 20, 24, good.length - 1])
      expect(damaged(flip(at)), `bit flipped at ${at}`).toEqual({ read: undefined, left: [] });
    expect(damaged((b) => b.subarray(0, b.length - 1))).toEqual({ read: undefined, left: [] });
    expect(damaged((b) => Buffer.concat([b, Buffer.alloc(1)]))).toEqual({ read: undefined, left: [] });
    expect(damaged((b) => b.subarray(0, 10))).toEqual({ read: undefined, left: [] });
    expect(damaged(() => Buffer.alloc(0))).toEqual({ read: undefined, left: [] });
  });

  it("another bundle's cache (same length, other content) is not returned", () => {
    writeCache(path, bundle, () => data);
    expect(readCache(path, { length: bundle.length, crc: bundle.crc ^ 1 })).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a symlink (to /dev/zero) or a directory in its place is not read', () => {
    symlinkSync('/dev/zero', path);
    expect(readCache(path, bundle)).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
    mkdirSync(path);
    expect(readCache(path, bundle)).toBeUndefined();
  });

  it('a failed write leaves no temporary file; a stale one from a killed process is swept by the next write', () => {
    expect(
      writeCache(path, bundle, () => {
        throw new Error('no space left on device');
      }),
    ).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    const stale = join(dir, '.cli-0.9.0-1-2-v20-x64.v8.1234.tmp');
    const fresh = join(dir, '.cli-0.9.0-1-2-v20-x64.v8.5678.tmp');
    const older = join(dir, 'cli-0.9.0-1-2-v20-x64.v8');
    for (const f of [stale, fresh, older]) writeFileSync(f, 'x');
    utimesSync(stale, new Date(0), new Date(0));
    expect(writeCache(path, bundle, () => data)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([fresh.slice(dir.length + 1), path.slice(dir.length + 1)].sort());
  });
});
