import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isHandshakeError } from '../../src/errors.js';
// Through the public SDK entry, as a vendor imports it.
import { doctorDocument, formatDoctor, formatDoctorMarkdown, remedyFor, runDoctor, compatDocument as said } from '../../src/index.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { errorDocument, formatError } from '../../src/render/report.js';
import { createStyle } from '../../src/render/style.js';
import { buildReport, createSession, requireServer } from '../../src/session/session.js';
import { classifyError } from '../../src/transport/errors.js';
import { closeDefaultDispatcher } from '../../src/transport/request.js';
import { ROOT } from '../helpers/cli.js';

/**
 * A host CLI that mounts handshake (`acme`, variables ACME_…) gets its own words everywhere: errors and
 * verdicts carry hints, and `src/render/` says them with the host's bin and prefix. Issue 23: a vendor's
 * doctor used to tell its users `export HANDSHAKE_COMPAT_FILE`, said by HandshakeError's constructor.
 */
const ACME = { bin: 'acme', envPrefix: 'ACME', product: 'acme', defaultCompatFile: join(ROOT, 'examples/vendor-cli/compat.json') };
const NO_HEADERS = { schemaRevision: null, serverVersion: null };
const DOC = versionDocumentSchema.parse({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy' });
const plain = createStyle(false);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'handshake-mounted-'));
});
afterAll(async () => {
  await closeDefaultDispatcher();
  rmSync(dir, { recursive: true, force: true });
});

function neverHandshake(text: string): void {
  expect(text).not.toMatch(/HANDSHAKE_/);
  expect(text).not.toMatch(/\bhandshake /);
}

describe("a mounted host's words", () => {
  it("doctor with a broken ACME_COMPAT_FILE, a bad config and no server says acme's words in every format", async () => {
    const bad = join(dir, 'bad-compat.json');
    writeFileSync(bad, '{ "cli_version": ');
    const config = join(dir, 'config');
    const env = { XDG_CONFIG_HOME: config, ACME_COMPAT_FILE: join(dir, 'missing.json') };
    for (const e of [env, { ...env, ACME_COMPAT_FILE: bad }]) {
      const report = await runDoctor({ cliVersion: '0.9.0', env: e, ...ACME });
      const texts = [JSON.stringify(doctorDocument(report)), formatDoctor(report, plain), formatDoctorMarkdown(report)];
      for (const text of texts) neverHandshake(text);
      // The checks did give remedies, in acme's words: the matrix's names its variable, the server's the bin.
      const remedies = report.sections.flatMap((s) => s.checks).map((c) => remedyFor(c, report.remedies));
      expect(remedies.join('\n')).toMatch(/acme server add prod/);
      expect(texts[1]).toMatch(/ACME_SERVER|ACME_COMPAT_FILE|--compat/);
    }
  });

  it('errors carry hints, and render says them with the host context', () => {
    const env = { XDG_CONFIG_HOME: join(dir, 'config') };
    const session = createSession({ cliVersion: '0.9.0', env, ...ACME });
    let thrown: unknown;
    try {
      requireServer(session);
    } catch (err) {
      thrown = err;
    }
    if (!isHandshakeError(thrown)) throw new Error('requireServer did not throw a HandshakeError');
    expect(thrown.code).toBe(ErrorCode.NoServer);
    // The constructor says nothing: the hint stays data until render/.
    expect(thrown.remedy).toBeNull();
    expect(thrown.hint).not.toBeNull();
    const ctx = { bin: 'acme', envPrefix: 'ACME' };
    for (const text of [formatError(thrown, plain, ctx), JSON.stringify(errorDocument(thrown, ctx))]) {
      neverHandshake(text);
      expect(text).toContain('ACME_SERVER');
    }
    const timeout = classifyError(new Error('slow'), { url: 'https://h.example', timeoutMs: 10, timedOut: true, aborted: false });
    expect(remedyFor(timeout, { ...ctx, flags: { timeout: '--wait-ms' } })).toContain('--wait-ms MS');
    // An SDK caller with no host gets handshake's own words.
    expect(remedyFor(thrown)).toContain('HANDSHAKE_SERVER');
  });

  it("a verdict's remedy is said for the host: acme server upgrade, ACME_TOKEN", () => {
    const session = createSession({ cliVersion: '0.9.0', env: { XDG_CONFIG_HOME: join(dir, 'config') }, ...ACME });
    const url = new URL('https://ops.example.com/');
    const old = { kind: 'document', document: { ...DOC, server_version: '1.2.0' }, headers: NO_HEADERS } as const;
    const outdated = buildReport(session, url, old, { kind: 'url', url: url.href });
    expect(outdated.hint).not.toBeNull();
    expect(said(outdated).remedy).toBe('acme server upgrade --server https://ops.example.com/');
    const refused = buildReport(session, url, { kind: 'unauthorized', httpStatus: 401 });
    expect(said(refused).remedy).toContain('ACME_TOKEN');
    for (const r of [outdated, refused]) neverHandshake(JSON.stringify(said(r)));
  });
});
