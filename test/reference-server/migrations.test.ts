import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, loadMigrations, ReferenceServerError } from '../../examples/reference-server/index.js';
import { plan, targetOf } from '../../examples/reference-server/migrate.js';
import { loadMatrix } from '../../src/matrix/load.js';

describe('the reference server migrations', () => {
  it("are exactly compat.json's schema_chain: same ids, order, descriptions and server versions", () => {
    const chain = loadMatrix().doc.schema_chain;
    const shipped = loadMigrations(defaultMigrationsDir());
    expect(shipped.map((m) => ({ revision: m.revision, description: m.description, server_version: m.serverVersion }))).toEqual(
      chain.map((r) => ({ revision: r.revision, description: r.description ?? null, server_version: r.server_version ?? null })),
    );
  });

  it('plans the steps from the applied revision to the target, and refuses a downgrade', () => {
    const chain = loadMigrations(defaultMigrationsDir());
    const ids = (revs: { revision: string }[]) => revs.map((m) => m.revision);
    expect(ids(plan(chain, null, targetOf(chain, '0002_add_event_tags')))).toEqual(['0001_initial', '0002_add_event_tags']);
    expect(ids(plan(chain, '0003_add_insight_meta_cache', targetOf(chain, null)))).toEqual([
      '0004_split_events_table',
      '0005_add_retention_policy',
    ]);
    expect(plan(chain, '0005_add_retention_policy', targetOf(chain, null))).toEqual([]);
    expect(() => plan(chain, '0004_split_events_table', targetOf(chain, '0002_add_event_tags'))).toThrow(/downgrade/);
    expect(() => plan(chain, '0009_from_the_future', targetOf(chain, null))).toThrow(ReferenceServerError);
    // An unknown target is a usage error whose remedy lists the revisions there are.
    expect(() => targetOf(chain, '0042_nope')).toThrow(
      expect.objectContaining({ exitCode: 2, remedy: expect.stringContaining('0005_add_retention_policy') }),
    );
  });
});

describe('loadMigrations refuses a migrations directory it cannot run safely', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['a file not named NNNN_name.sql', 'add-stuff.sql', 'SELECT 1;', /NNNN_name/],
    ['a file with its own transaction', '0001_initial.sql', 'BEGIN;\nCREATE TABLE t (x int);\nCOMMIT;', /transaction/],
    ['a non-semver server_version', '0001_initial.sql', '-- server_version: one\nSELECT 1;', /server_version/],
  ])('%s', (_label, name, sql, message) => {
    dir = mkdtempSync(join(tmpdir(), 'ref-migrations-'));
    writeFileSync(join(dir, name), sql);
    let error: unknown;
    try {
      loadMigrations(dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ReferenceServerError);
    expect((error as ReferenceServerError).message).toMatch(message);
    expect((error as ReferenceServerError).remedy).toBeTruthy();
    expect((error as ReferenceServerError).exitCode).toBe(2);
  });

  it('an empty or missing directory', () => {
    dir = mkdtempSync(join(tmpdir(), 'ref-migrations-'));
    expect(() => loadMigrations(dir)).toThrow(/No migrations/);
    expect(() => loadMigrations(join(dir, 'missing'))).toThrow(/Cannot read/);
  });
});
