import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJson, ROOT, runCli, sandbox } from '../helpers/cli.js';
import { closeAfterAll, versionServer } from '../helpers/http-server.js';

const box = sandbox();
afterAll(() => box.cleanup());
const serve = closeAfterAll();
const FIX = join(ROOT, 'test/fixtures/migrations');
let n = 0;

interface SyncDoc {
  file: string;
  format: string;
  chain: { revision: string; parents: string[] }[];
  added: string[];
  removed: string[];
  changed: boolean;
}
interface ErrorDoc {
  error: { code: string; message: string; remedy: string | null };
}

const sync = (args: string[]) => runCli(['compat', 'sync', ...args], { env: box.env, cwd: box.dir });

/** compat.json with its chain replaced, in the sandbox. */
function matrix(chain: { revision: string }[], extra: Record<string, unknown> = {}): string {
  const doc = JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8'));
  delete doc.features; // the bundled features name revisions of the bundled chain
  Object.assign(doc, { schema_chain: chain, min_schema_revision: chain[0]?.revision }, extra);
  const file = join(box.dir, `compat-${n++}.json`);
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

function alembicDir(files: Record<string, string>): string {
  const dir = join(box.dir, `versions-${n++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('compat sync: write once, then check in CI', () => {
  it("writes Observal's chain release by release, --check passes, and compat check judges servers by it", async () => {
    const file = matrix([{ revision: 'v1_baseline' }], { min_schema_revision: 'v1_baseline' });
    // Release 1.4.2 shipped the migrations up to 014_migration_jobs.py (revision 011_migration_jobs); 1.4.3 the rest.
    const first = join(box.dir, `observal-1.4.2-${n++}`);
    cpSync(join(FIX, 'observal/versions'), first, { recursive: true, filter: (src) => !/\/0(1[5-9]|2\d)_[^/]*$/.test(src) });
    expect((await sync([first, '--compat', file, '--release', '1.4.2'])).code).toBe(0);
    expect((await sync([join(FIX, 'observal/versions'), '--compat', file, '--release', '1.4.3'])).code).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc.schema_chain).toHaveLength(25);
    expect(doc.schema_chain[13]).toEqual({
      revision: '011_migration_jobs',
      description: 'Add migration_jobs table for data migration tracking.',
      server_version: '1.4.2',
    });
    expect(doc.schema_chain[14]).toMatchObject({ revision: '015_sandbox_runtime_config', server_version: '1.4.3' });

    const c = await sync([join(FIX, 'observal/versions'), '--compat', file, '--check', '--json']);
    expect(c.code).toBe(0);
    expect(parseJson<SyncDoc>(c)).toMatchObject({ file, format: 'alembic', added: [], removed: [], changed: false });

    // 011_migration_jobs comes after 1caa45d85720 (a name sort says otherwise): a 1.4.2 server there is compatible,
    // one at 010_global_unique_names is behind min_schema_revision.
    doc.min_schema_revision = '1caa45d85720';
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const at = async (revision: string) => {
      const s = await serve(versionServer({ server_version: '1.4.2', schema_revision: revision }));
      const r = await runCli(['compat', 'check', '--server', s.url, '--compat', file, '--json'], { env: box.env });
      return { code: r.code, status: parseJson<{ status: string }>(r).status };
    };
    expect(await at('011_migration_jobs')).toEqual({ code: 0, status: 'compatible' });
    expect(await at('010_global_unique_names')).toEqual({ code: 3, status: 'schema_behind' });
  });

  it('--check exits 3 on a stale chain, writes nothing, and names what differs', async () => {
    const file = matrix([{ revision: '0ec979123ba4' }]);
    const before = readFileSync(file, 'utf8');
    const r = await sync([join(FIX, 'redash/versions'), '--compat', file, '--check', '--json']);
    expect(r.code).toBe(3);
    const doc = parseJson<SyncDoc>(r);
    expect(doc.changed).toBe(true);
    expect(doc.format).toBe('alembic');
    expect(doc.added).toHaveLength(26);
    expect(doc.chain.find((e) => e.revision === '89bc7873a3e0')?.parents).toEqual(['0ec979123ba4', 'd7d747033183']);
    expect(readFileSync(file, 'utf8')).toBe(before);

    const human = await sync([join(FIX, 'redash/versions'), '--compat', file, '--check']);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/added: /);
    expect(human.stdout).toContain('compat sync');
  });

  it('writes the default ./compat.json of the working directory', async () => {
    cpSync(join(ROOT, 'compat.json'), join(box.dir, 'compat.json'));
    const r = await sync([join(ROOT, 'examples/reference-server/migrations'), '--json']);
    expect(r.code).toBe(0);
    expect(parseJson<SyncDoc>(r)).toMatchObject({ file: './compat.json', changed: false });
  });

  it.each([
    ['kestra/postgres', 'flyway', '1.10'],
    ['harbor/postgresql', 'sql', '10'],
    ['umami/migrations', 'prisma', '10_add_distinct_id'],
    ['huginn/migrate', 'rails', '20120919063304'],
    ['django-auth/auth/migrations', 'django', '0006_require_contenttypes_0002'],
  ])('%s is read as %s without --format', async (dir, format, id) => {
    const r = await sync([join(FIX, dir), '--compat', join(ROOT, 'compat.json'), '--check', '--json']);
    expect(r.code).toBe(3);
    const doc = parseJson<SyncDoc>(r);
    expect(doc.format).toBe(format);
    expect(doc.chain.map((e) => e.revision)).toContain(id);
  });
});

describe('compat sync: what it refuses', () => {
  const expectError = (r: Awaited<ReturnType<typeof sync>>, exit: number, code: string) => {
    expect(r.code).toBe(exit);
    const doc = parseJson<ErrorDoc>(r);
    expect(doc.error.code).toBe(code);
    return doc.error;
  };

  it('two heads: exit 3 naming them', async () => {
    const dir = alembicDir({
      'a.py': 'revision = "a"\ndown_revision = None\n',
      'b.py': 'revision = "b"\ndown_revision = "a"\n',
      'c.py': 'revision = "c"\ndown_revision = "a"\n',
    });
    const err = expectError(await sync([dir, '--compat', matrix([{ revision: 'a' }]), '--json']), 3, 'E_CHAIN_MISMATCH');
    expect(err.message).toContain('b');
    expect(err.message).toContain('c');
  });

  it('a cycle, a missing parent, an unreadable assignment: exit 2 naming the file', async () => {
    const file = matrix([{ revision: 'a' }]);
    const cycle = alembicDir({ 'a.py': 'revision = "a"\ndown_revision = "b"\n', 'b.py': 'revision = "b"\ndown_revision = "a"\n' });
    expect(expectError(await sync([cycle, '--compat', file, '--json']), 2, 'E_USAGE').message).toMatch(/[ab]\.py/);
    const missing = alembicDir({ 'a.py': 'revision = "a"\ndown_revision = None\n', 'b.py': 'revision = "b"\ndown_revision = "zz"\n' });
    expect(expectError(await sync([missing, '--compat', file, '--json']), 2, 'E_USAGE').message).toContain('b.py');
    const bad = alembicDir({ 'a.py': '"""A."""\nrevision = compute()\ndown_revision = None\n' });
    expect(expectError(await sync([bad, '--compat', file, '--format', 'alembic', '--json']), 2, 'E_USAGE').message).toContain('a.py:2');
  });

  it('no stack trace and not exit 1 for an unknown directory, format or matrix', async () => {
    const human = await sync([join(box.dir, 'nope'), '--compat', join(ROOT, 'compat.json')]);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain('nope');
    expect(human.stderr).not.toMatch(/\n\s+at /);
    const unknown = alembicDir({ 'notes.txt': 'x' });
    expect(expectError(await sync([unknown, '--compat', join(ROOT, 'compat.json'), '--json']), 2, 'E_USAGE').remedy).toContain('--format');
    expectError(
      await sync([join(ROOT, 'examples/reference-server/migrations'), '--compat', join(box.dir, 'missing.json'), '--json']),
      2,
      'E_MATRIX_INVALID',
    );
    expectError(await sync([join(ROOT, 'examples/reference-server/migrations'), '--release', 'v1', '--json']), 2, 'E_USAGE');
    expect((await sync([join(ROOT, 'examples/reference-server/migrations'), '--format', 'liquibase'])).code).toBe(2);
  });
});

describe('compat sync: releases and the remedy (issue 28 item 8)', () => {
  it("--check's fix names a release; pasted, a healthy server on the previous release stays compatible", async () => {
    const dir = join(box.dir, `ref-${n++}`);
    cpSync(join(ROOT, 'examples/reference-server/migrations'), dir, { recursive: true });
    writeFileSync(join(dir, '0006_add_dashboards.sql'), '-- description: dashboards\n');
    const file = join(box.dir, `compat-${n++}.json`);
    cpSync(join(ROOT, 'compat.json'), file);
    const check = await sync([dir, '--compat', file, '--check']);
    expect(check.code).toBe(3);
    const fix = /^Fix: (.*)$/m.exec(check.stdout)?.[1];
    expect(fix).toBe(`handshake compat sync ${dir} --compat ${file} --release 1.4.1`);
    const args = (fix as string).split(' ').slice(1);
    expect((await runCli(args, { env: box.env, cwd: box.dir })).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).schema_chain.at(-1)).toMatchObject({
      revision: '0006_add_dashboards',
      server_version: '1.4.1',
    });
    const s = await serve(versionServer({ server_version: '1.4.0', schema_revision: '0005_add_retention_policy' }));
    const r = await runCli(['compat', 'check', '--server', s.url, '--compat', file, '--json'], { env: box.env });
    expect(parseJson<{ status: string }>(r).status).toBe('compatible');
  });

  it('without --release: null, and the output names the revisions and the command that sets their release', async () => {
    const dir = join(box.dir, `ref-${n++}`);
    cpSync(join(ROOT, 'examples/reference-server/migrations'), dir, { recursive: true });
    writeFileSync(join(dir, '0006_add_dashboards.sql'), '-- description: dashboards\n');
    const file = join(box.dir, `compat-${n++}.json`);
    cpSync(join(ROOT, 'compat.json'), file);
    const r = await sync([dir, '--compat', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 revision is in no released server yet (server_version null): 0006_add_dashboards');
    expect(r.stdout).toContain(`handshake compat sync ${dir} --compat ${file} --release 1.4.1`);
    expect(JSON.parse(readFileSync(file, 'utf8')).schema_chain.at(-1)).toMatchObject({ server_version: null });
    // A 1.4.2 server that has not run it is compatible: it is in no released server.
    const s = await serve(versionServer({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy' }));
    const c = await runCli(['compat', 'check', '--server', s.url, '--compat', file, '--json'], { env: box.env });
    expect(parseJson<{ status: string }>(c).status).toBe('compatible');
  });

  it('--format django on an Alembic directory: exit 2 naming a file that is not a Django migration', async () => {
    const r = await sync([join(FIX, 'observal/versions'), '--format', 'django', '--compat', join(ROOT, 'compat.json'), '--json']);
    expect(r.code).toBe(2);
    const doc = parseJson<ErrorDoc>(r);
    expect(doc.error.code).toBe('E_USAGE');
    expect(doc.error.message).toMatch(/observal\/versions\/[^ ]+\.py is not a Django migration/);
  });
});
