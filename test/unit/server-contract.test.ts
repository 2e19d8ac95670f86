import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { observe } from '../../src/handshake/observe.js';
import { loadMatrix } from '../../src/matrix/load.js';
import { getMatrixSchema } from '../../src/matrix/schema.js';
import { createHandshakeServer, DEFAULT_HEADER_NAMES, DEFAULT_VERSION_PATH } from '../../src/server/index.js';
import { listen } from '../helpers/http.js';

const serverDir = join(import.meta.dirname, '../../src/server');

describe('src/server stays the server half', () => {
  it('imports only the matrix schema, the protocol (the version document, the defaults), its own files and plain packages (in every folder of it)', () => {
    const src = join(serverDir, '..');
    const allowed = new Set([join(src, 'matrix/schema.js'), join(src, 'protocol/version-document.js'), join(src, 'protocol/defaults.js')]);
    const files = readdirSync(serverDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files).toContain(join('revisions', 'index.ts'));
    for (const file of files) {
      const text = readFileSync(join(serverDir, file), 'utf8');
      for (const [, spec] of text.matchAll(/from\s+'([^']+)'/g)) {
        if (!spec?.startsWith('.')) continue; // a plain package or node: module
        const target = resolve(dirname(join(serverDir, file)), spec);
        const ok = target.startsWith(serverDir + sep) || allowed.has(target);
        expect(ok, `${file} imports ${spec}`).toBe(true);
      }
    }
  });

  it('defaults to the header names and version path a compat.json without them gets', () => {
    const shape = getMatrixSchema().shape;
    const headers = shape.headers.parse(undefined);
    expect(DEFAULT_HEADER_NAMES).toEqual({
      schemaRevision: headers.schema_revision,
      serverVersion: headers.server_version,
      cliVersion: headers.cli_version,
      requiredCliVersion: headers.required_cli_version,
    });
    expect(DEFAULT_VERSION_PATH).toBe(shape.version_endpoint.parse(undefined));
  });
});

describe("the CLI's own observe() reads what the server helpers serve", () => {
  const dispatcher = new Agent();
  afterAll(() => dispatcher.close());
  const matrix = loadMatrix();

  it('sees the document and the matching headers', async () => {
    const hs = createHandshakeServer({
      serverVersion: '1.2.0',
      minCliVersion: '0.9.0',
      deployment: 'helm',
      revisions: {
        applied: async () => '0003_add_insight_meta_cache',
        pending: async () => [{ revision: '0004_split_events_table', description: 'split' }],
        status: async () => 'idle',
      },
    });
    const server = await listen((req, res) => hs.middleware(req, res, () => res.end()));
    try {
      const seen = await observe({
        baseUrl: new URL(server.url),
        matrix,
        headers: { 'X-CLI-Version': '0.9.0' },
        timeoutMs: 5000,
        dispatcher,
      });
      expect(seen.kind).toBe('document');
      if (seen.kind !== 'document') return;
      expect(seen.document).toMatchObject({ server_version: '1.2.0', schema_revision: '0003_add_insight_meta_cache', deployment: 'helm' });
      expect(seen.document.pending_migrations.map((p) => p.revision)).toEqual(['0004_split_events_table']);
      expect(seen.headers).toEqual({ schemaRevision: '0003_add_insight_meta_cache', serverVersion: '1.2.0' });
    } finally {
      await server.close();
    }
  });

  it('reads a 426 from the CLI-window check as a rejection naming the required version', async () => {
    const hs = createHandshakeServer({ serverVersion: '1.3.0', minCliVersion: '0.9.0' });
    // A server that refuses old CLIs everywhere, the version endpoint included.
    const server = await listen((req, res) => hs.requireCliVersion(req, res, () => hs.versionHandler(req, res)));
    try {
      const seen = await observe({
        baseUrl: new URL(server.url),
        matrix,
        headers: { 'X-CLI-Version': '0.8.0' },
        timeoutMs: 5000,
        dispatcher,
      });
      expect(seen).toEqual({ kind: 'cli_rejected', requiredVersion: '0.9.0', httpStatus: 426 });
    } finally {
      await server.close();
    }
  });
});
