import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/doctor/index.js';
import { exitCodeForError } from '../../src/render/exit-codes.js';
import { remedyFor } from '../../src/render/remedy.js';
import { errorDocument } from '../../src/render/report.js';
import { type ResolveOptions, resolveRun } from '../../src/session/resolve.js';
import { bundledJson } from '../helpers/matrix.js';

// handshake mounted in a vendor's CLI (`mycli`): the one resolution knows it runs mounted and where the host's
// matrix should be, and never falls back to handshake's own example matrix (docs/embedding.md).

const dir = mkdtempSync(join(tmpdir(), 'handshake-mounted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A vendor package root with a package.json (its own engines) and, optionally, a compat.json. */
function vendorRoot(name: string, compat?: unknown, engines = '>=22'): string {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name, version: '1.0.0', engines: { node: engines } }));
  if (compat !== undefined) writeFileSync(join(root, 'compat.json'), typeof compat === 'string' ? compat : JSON.stringify(compat));
  return root;
}

const env = { XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache') };
const mounted = (root: string, extra: Partial<ResolveOptions> = {}): ResolveOptions => ({
  cliVersion: '1.0.0',
  bin: 'mycli',
  product: 'mycli',
  envPrefix: 'MYCLI',
  root,
  defaultCompatFile: join(root, 'compat.json'),
  env,
  ...extra,
});
const ctx = { bin: 'mycli', envPrefix: 'MYCLI' };
/** What a user reads of an error: its message and its remedy in the host's words. */
const said = (err: Parameters<typeof errorDocument>[0]) => errorDocument(err, ctx).error;

describe('mounted: a host CLI that ships no matrix', () => {
  it('is no silent fallback: the matrix is missing, exit 2, saying where it was looked for and how to ship it', () => {
    const root = vendorRoot('no-matrix');
    const r = resolveRun(mounted(root));
    expect(r.mounted).toBe(true);
    expect(r.hostMatrix).toBe(join(root, 'compat.json'));
    expect(r.matrix.ok).toBe(false);
    if (r.matrix.ok) return;
    expect(r.matrix.error.code).toBe('E_MATRIX_MISSING');
    expect(exitCodeForError(r.matrix.error)).toBe(2);
    const { message, remedy } = said(r.matrix.error);
    expect(message).toContain(join(root, 'compat.json'));
    expect(remedy).toContain('"files"');
    expect(remedy).toContain(join(root, 'package.json'));
    expect(remedy).toContain('handshake.compat');
    // Requests have no matrix either: never handshake's own (its endpoints, its install commands).
    expect(r.requestMatrix).toBeNull();
  });

  it('a `handshake.compat` path that names no file: the same, naming that path', () => {
    const root = vendorRoot('declared');
    const r = resolveRun(mounted(root, { defaultCompatFile: join(root, 'config', 'compat.json') }));
    expect(r.matrix.ok).toBe(false);
    if (!r.matrix.ok) {
      expect(r.matrix.error.code).toBe('E_MATRIX_MISSING');
      expect(said(r.matrix.error).message).toContain(join(root, 'config', 'compat.json'));
      expect(said(r.matrix.error).remedy).toContain('"config/compat.json"');
    }
  });

  it('an SDK caller under another name that names no matrix at all gets the same error, not the example matrix', () => {
    const r = resolveRun({ cliVersion: '1.0.0', product: 'mycli', env });
    expect(r.mounted).toBe(true);
    expect(r.matrix.ok).toBe(false);
    if (!r.matrix.ok) expect(r.matrix.error.code).toBe('E_MATRIX_MISSING');
  });

  it('--compat or MYCLI_COMPAT_FILE still work without a shipped matrix', () => {
    const root = vendorRoot('no-matrix-but-flag');
    const file = join(dir, 'given.json');
    writeFileSync(file, JSON.stringify(bundledJson()));
    expect(resolveRun(mounted(root, { compatFile: file })).matrix.ok).toBe(true);
    expect(resolveRun(mounted(root, { env: { ...env, MYCLI_COMPAT_FILE: file } })).matrix.ok).toBe(true);
  });

  it('handshake itself (not mounted) keeps its bundled matrix', () => {
    const r = resolveRun({ cliVersion: '0.9.0', env });
    expect(r.mounted).toBe(false);
    expect(r.matrix.ok).toBe(true);
  });
});

describe("mounted: an invalid vendor matrix names the vendor's file and no flag the user did not pass", () => {
  const invalid = { ...bundledJson(), recommended_server_version: undefined };

  it('shipped with the CLI: the vendor file path, never "bundled", and no --compat', () => {
    const root = vendorRoot('invalid', invalid);
    const r = resolveRun(mounted(root));
    expect(r.matrix.ok).toBe(false);
    if (r.matrix.ok) return;
    const { message, remedy } = said(r.matrix.error);
    expect(message).toContain(join(root, 'compat.json'));
    expect(message).toContain('recommended_server_version: required');
    expect(message).not.toContain('bundled');
    expect(remedy).toContain(join(root, 'compat.json'));
    expect(remedy).not.toMatch(/--compat|bundled/);
    expect(r.requestMatrix).toBeNull();
  });

  it('not valid JSON: the same', () => {
    const root = vendorRoot('not-json', '{ nope');
    const r = resolveRun(mounted(root));
    if (r.matrix.ok) throw new Error('expected an error');
    expect(said(r.matrix.error).message).toContain(join(root, 'compat.json'));
    expect(said(r.matrix.error).remedy).not.toContain('--compat');
  });

  it('from MYCLI_COMPAT_FILE: the remedy names the variable, not --compat', () => {
    const root = vendorRoot('valid-host', bundledJson());
    const file = join(dir, 'bad-env.json');
    writeFileSync(file, JSON.stringify(invalid));
    const r = resolveRun(mounted(root, { env: { ...env, MYCLI_COMPAT_FILE: file } }));
    if (r.matrix.ok) throw new Error('expected an error');
    const { message, remedy } = said(r.matrix.error);
    expect(message).toContain(file);
    expect(remedy).toContain('MYCLI_COMPAT_FILE');
    expect(remedy).not.toContain('--compat');
    // Requests still use the host's own matrix.
    expect(r.requestMatrix?.source).toBe('bundled');
  });

  it('a MYCLI_COMPAT_FILE that does not exist: the remedy names the variable, not --compat', () => {
    const root = vendorRoot('valid-host-2', bundledJson());
    const r = resolveRun(mounted(root, { env: { ...env, MYCLI_COMPAT_FILE: join(dir, 'absent.json') } }));
    if (r.matrix.ok) throw new Error('expected an error');
    expect(said(r.matrix.error).remedy).toContain('MYCLI_COMPAT_FILE');
    expect(said(r.matrix.error).remedy).not.toContain('--compat');
  });

  it('from --compat: the remedy may name --compat, which was passed', () => {
    const root = vendorRoot('valid-host-3', bundledJson());
    const file = join(dir, 'bad-flag.json');
    writeFileSync(file, JSON.stringify(invalid));
    const r = resolveRun(mounted(root, { compatFile: file }));
    if (r.matrix.ok) throw new Error('expected an error');
    expect(remedyFor(r.matrix.error, ctx)).toBe(`Fix ${file}, or run without --compat to use the compat matrix mycli ships`);
  });
});

describe('a mounted doctor', () => {
  it('with an invalid vendor matrix never offers handshake-compat to the vendor’s users', async () => {
    const root = vendorRoot('doctor-invalid', { ...bundledJson(), recommended_server_version: undefined });
    const report = await runDoctor({ ...mounted(root), network: false });
    const text = JSON.stringify(report);
    expect(text).not.toContain('handshake-compat');
    const matrix = report.sections.flatMap((s) => s.checks).find((c) => c.id === 'cli.matrix');
    expect(matrix).toMatchObject({ status: 'fail' });
    expect(matrix?.detail).toContain(join(root, 'compat.json'));
    const remedy = matrix ? remedyFor(matrix, ctx) : null;
    expect(remedy).toContain(join(root, 'compat.json'));
    expect(remedy).not.toContain('--compat');
  });

  it("checks Node against handshake-compat's own engines, not the vendor's", async () => {
    const root = vendorRoot('doctor-engines', bundledJson(), '>=99');
    const report = await runDoctor({ ...mounted(root), network: false });
    const node = report.sections.flatMap((s) => s.checks).find((c) => c.id === 'cli.node');
    expect(node?.status).toBe('pass');
    expect(node?.detail).toContain('>=20.19');
  });
});
