import { describe, expect, it } from 'vitest';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { buildVersionDocument, HandshakeServerError } from '../../src/server/index.js';

describe('buildVersionDocument', () => {
  it('builds every field in the shape the CLI parses, normalising versions and pending migrations', () => {
    const doc = buildVersionDocument({
      serverVersion: 'v1.4.0',
      schemaRevision: '0003_add_insight_meta_cache',
      minCliVersion: '0.9.0',
      maxCliVersion: '1.0.0',
      recommendedCliVersion: '0.9.2',
      apiVersion: 'v1',
      pendingMigrations: [
        '0004_split_events_table',
        { revision: '0005_add_retention_policy', description: 'per-project retention policy' },
      ],
      deployment: 'docker-compose',
      migrationStatus: 'idle',
    });
    expect(doc).toMatchObject({
      server_version: '1.4.0',
      schema_revision: '0003_add_insight_meta_cache',
      min_cli_version: '0.9.0',
      max_cli_version: '1.0.0',
      recommended_cli_version: '0.9.2',
      api_version: 'v1',
      pending_migrations: [
        { revision: '0004_split_events_table', description: null },
        { revision: '0005_add_retention_policy', description: 'per-project retention policy' },
      ],
      deployment: 'docker-compose',
      migration_status: 'idle',
    });
    // What goes over the wire parses back to the same document on the CLI side.
    expect(versionDocumentSchema.parse(JSON.parse(JSON.stringify(doc)))).toMatchObject(doc);
  });

  it('needs only the server version, and accepts "dev"', () => {
    const doc = buildVersionDocument({ serverVersion: 'dev' });
    expect(doc.server_version).toBe('dev');
    expect(doc.schema_revision).toBeNull();
    expect(doc.pending_migrations).toEqual([]);
    expect(doc.migration_status).toBeNull();
  });

  it('fills every absent field with a value of its own: a caller may keep and change what it parsed', () => {
    const a = versionDocumentSchema.parse({ server_version: '1.0.0' });
    a.pending_migrations.push({ revision: '0001_init', description: null });
    const b = versionDocumentSchema.parse({ server_version: '1.0.0' });
    expect(b.pending_migrations).toEqual([]);
    expect(b.capabilities).not.toBe(a.capabilities);
    const [c, d] = [1, 2].map(() => versionDocumentSchema.parse({ server_version: '1.0.0', capabilities: 'not an object' }));
    expect(c?.capabilities).toEqual({ migrate: null });
    expect(c?.capabilities).not.toBe(d?.capabilities);
  });

  it.each([
    [{ serverVersion: 'latest' }, 'server_version', 'serverVersion'],
    [{ serverVersion: '1.0.0', minCliVersion: 'soon' }, 'min_cli_version', 'minCliVersion'],
    [{ serverVersion: '1.0.0', schemaRevision: 'bad\u0007bell' }, 'schema_revision', 'schemaRevision'],
    [{ serverVersion: '1.0.0', pendingMigrations: [{ revision: ' padded ' }] }, 'pending_migrations[0].revision', 'pendingMigrations'],
    [{ serverVersion: '1.0.0', migrationStatus: 'done' as never }, 'migration_status', 'migrationStatus'],
  ])('refuses an invalid field, naming it and the option to fix (%#)', (info, field, option) => {
    let error: unknown;
    try {
      buildVersionDocument(info);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HandshakeServerError);
    const e = error as HandshakeServerError;
    expect(e.code).toBe('E_SERVER_CONFIG');
    expect(e.message).toContain(field);
    expect(e.remedy).toContain(option);
  });
});
