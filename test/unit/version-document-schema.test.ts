import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, startServer } from '../../examples/reference-server/index.js';
import { SEMVER_PATTERN, versionDocumentJsonSchema } from '../../src/protocol/json-schema.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { buildVersionDocument } from '../../src/server/document.js';
import { ROOT } from '../helpers/cli.js';

/**
 * version-document.schema.json (docs/protocol.md §1.1) is generated from the zod schema the client parses
 * with: committed and current, shipped, and it says yes and no where the client does. The reference server's
 * live document validates against it.
 */

const committed = JSON.parse(readFileSync(join(ROOT, 'version-document.schema.json'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(committed);

describe('version-document.schema.json', () => {
  it('is generated from the zod schema and current (npm run build writes it)', () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(versionDocumentJsonSchema())));
  });

  it('is shipped and exported by the package', () => {
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(pjson.files).toContain('version-document.schema.json');
    expect(pjson.exports['./version-document.schema.json']).toBe('./version-document.schema.json');
  });

  it('its semver pattern accepts exactly what the client accepts (semver.valid of the trimmed value)', () => {
    const pattern = new RegExp(SEMVER_PATTERN, 'u');
    const samples = [
      '1.4.2',
      'v1.4.2',
      ' 1.4.2 ',
      '1.5.0-rc.1',
      '16.11.10-ee',
      '1.0.0+build.5',
      '1.4',
      '1.4.2.1',
      'latest',
      '01.2.3',
      '1.2.3-01',
      '',
    ];
    for (const s of samples) expect(pattern.test(s), s).toBe(semver.valid(s.trim()) !== null);
    const part = fc.constantFrom('0', '1', '12', '01', 'v', '.', '-', '+', 'rc', 'a', ' ', 'x1', '00');
    fc.assert(
      fc.property(fc.array(part, { maxLength: 12 }), (parts) => {
        const s = parts.join('');
        expect(pattern.test(s)).toBe(semver.valid(s.trim()) !== null);
      }),
      { numRuns: 2000 },
    );
  });

  const accepted: Record<string, unknown>[] = [
    { server_version: '1.4.2' },
    { server_version: 'dev', schema_revision: null },
    { server_version: 'v1.4.2', pending_migrations: ['0004_x', { revision: '0005_y', description: null }] },
    { server_version: '1.4.2', migration_status: 'running', migration_progress: { applied: 0, total: 2, current: null } },
    { server_version: '1.4.2', schema_revision: 'db/changelog.xml::1::alice', background_migrations_pending: 0, frontend_version: 'x' },
    { server_version: '1.4.2', capabilities: { migrate: '/api/v1/admin/migrations', retention: false } },
  ];
  const refused: Record<string, unknown>[] = [
    {},
    { server_version: 'latest' },
    { server_version: 142 },
    { server_version: '1.4' },
    { server_version: '1.4.2', min_cli_version: '0.9' },
    { server_version: '1.4.2', migration_status: 'done' },
    { server_version: '1.4.2', schema_revision: ' 0003' },
    { server_version: '1.4.2', schema_revision: '0003\u202e' },
    { server_version: '1.4.2', pending_migrations: 'none' },
    { server_version: '1.4.2', migration_progress: { applied: -1, total: 2 } },
    { server_version: '1.4.2', background_migrations_pending: 1.5 },
  ];

  it.each(accepted)('accepts what the client accepts: %j', (doc) => {
    expect(versionDocumentSchema.safeParse(doc).success).toBe(true);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each(refused)('refuses what the client refuses: %j', (doc) => {
    expect(versionDocumentSchema.safeParse(doc).success).toBe(false);
    expect(validate(doc)).toBe(false);
  });

  it('validates what the server helpers write (buildVersionDocument)', () => {
    const doc = buildVersionDocument({
      serverVersion: 'v1.4.2',
      schemaRevision: '0005_add_retention_policy',
      minCliVersion: '0.9.0',
      pendingMigrations: ['0006_next'],
      deployment: 'helm',
      migrationStatus: 'idle',
      migrationProgress: null,
      backgroundMigrationsPending: 3,
      capabilities: { migrate: '/api/v1/admin/migrations' },
    });
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe("the reference server's live document", () => {
  const root = mkdtempSync(join(tmpdir(), 'vdoc-schema-'));
  const template = join(root, 'template');
  beforeAll(async () => {
    expect(await migrate({ dataDir: template, to: '0003_add_insight_meta_cache' })).toMatchObject({ status: 'migrated' });
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('validates against version-document.schema.json, with the admin endpoint on and its migrations pending', async () => {
    const dataDir = join(root, 'data');
    cpSync(template, dataDir, { recursive: true });
    const server = await startServer({
      dataDir,
      version: '1.4.2',
      deployment: 'docker-compose',
      minCliVersion: '0.9.0',
      recommendedCliVersion: '0.9.0',
      token: 'ordinary-token-1234',
      adminToken: 'admin-token-7f3c9a2e51d04b68',
    });
    try {
      const res = await fetch(`${server.url}/api/v1/config/version`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as Record<string, unknown>;
      // The document says what this test is about: every optional field the reference server reports is there.
      expect(doc).toMatchObject({
        server_version: '1.4.2',
        schema_revision: '0003_add_insight_meta_cache',
        capabilities: { migrate: '/api/v1/admin/migrations' },
      });
      expect((doc.pending_migrations as unknown[]).length).toBe(2);
      expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
