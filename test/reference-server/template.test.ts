import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDataDir, openDatabase, seedCluster } from '../../examples/reference-server/data-dir.js';

/**
 * A new data directory starts as a copy of a template cluster kept in the user's cache
 * (examples/reference-server/README.md "The database"): initdb runs once per PGlite version.
 * These tests give the seeder their own XDG_CACHE_HOME.
 */
const root = mkdtempSync(join(tmpdir(), 'ref-template-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cacheHome(name: string): NodeJS.ProcessEnv {
  return { XDG_CACHE_HOME: join(root, name), HOME: root };
}

describe('the template cluster', () => {
  it('is made once, whole, under XDG_CACHE_HOME, and every new cluster is a copy of it', async () => {
    const env = cacheHome('cache');
    const first = await seedCluster(join(root, 'a', 'pgdata'), env);
    expect(first).toMatch(/[/\\]handshake-reference-server[/\\]pglite-\d+\.\d+\.\d+/);
    expect(first?.startsWith(join(root, 'cache'))).toBe(true);
    const made = statSync(join(first as string, 'PG_VERSION'));
    // Nothing half-written beside it.
    expect(readdirSync(join(root, 'cache', 'handshake-reference-server'))).toEqual([first?.split(/[/\\]/).at(-1)]);

    const second = await seedCluster(join(root, 'b', 'pgdata'), env);
    expect(second).toBe(first);
    expect(statSync(join(second as string, 'PG_VERSION')).ino).toBe(made.ino);
    for (const dir of ['a', 'b']) expect(existsSync(join(root, dir, 'pgdata', 'PG_VERSION'))).toBe(true);
  }, 120_000);

  it('a copy a kill left half-made does not block the data directory, and is removed by the next seed', async () => {
    const data = join(root, 'killed');
    mkdirSync(join(data, 'pgdata.seed-99999', 'base'), { recursive: true });
    expect(() => checkDataDir(data)).not.toThrow();
    expect(await seedCluster(join(data, 'pgdata'), cacheHome('cache'))).not.toBeNull();
    expect(readdirSync(data)).toEqual(['pgdata']);
  }, 120_000);

  it('seeds nothing when turned off or when there is no usable cache directory: PGlite runs initdb itself', async () => {
    expect(await seedCluster(join(root, 'off', 'pgdata'), { ...cacheHome('cache'), REFERENCE_SERVER_NO_TEMPLATE: '1' })).toBeNull();
    expect(existsSync(join(root, 'off', 'pgdata'))).toBe(false);

    writeFileSync(join(root, 'a-file'), 'not a directory');
    expect(await seedCluster(join(root, 'blocked', 'pgdata'), { XDG_CACHE_HOME: join(root, 'a-file'), HOME: root })).toBeNull();
    expect(existsSync(join(root, 'blocked', 'pgdata'))).toBe(false);
    expect(readdirSync(root).filter((e) => e.includes('.seed-') || e.includes('.partial-'))).toEqual([]);
  }, 120_000);

  it('a damaged template is dropped: the database is created by initdb and opens', async () => {
    // The template the first test made (one initdb fewer).
    const env = cacheHome('cache');
    const template = await seedCluster(join(root, 'c', 'pgdata'), env);
    expect(template).not.toBeNull();
    writeFileSync(join(template as string, 'global', 'pg_control'), Buffer.alloc(100));
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = env.XDG_CACHE_HOME;
    try {
      const db = await openDatabase(join(root, 'd'));
      const { rows } = await db.query<{ x: number }>('SELECT 1 AS x');
      expect(rows).toEqual([{ x: 1 }]);
      // Made by initdb here, it keeps only the database PGlite serves, as the template does.
      expect((await db.query<{ datname: string }>('SELECT datname FROM pg_database')).rows).toEqual([{ datname: 'postgres' }]);
      await db.close();
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
    expect(existsSync(template as string)).toBe(false);
  }, 120_000);
});
