import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/doctor/index.js';
import { MatrixError } from '../../src/errors.js';
import { cliInstallCommand } from '../../src/matrix/templates.js';
import { closeDefaultDispatcher } from '../../src/transport/request.js';
import { judge } from '../../src/verdict/verdict.js';
import { json, startServer, type TestServer } from '../helpers/http-server.js';
import { bundledJson, matrixWith } from '../helpers/matrix.js';

// A vendor's matrix (docs/matrix.md): the install methods it ships, the paths its server uses.

const npmOnly = () => {
  const base = bundledJson();
  return { ...base, cli: { package: 'acme-cli', bin: 'acme', install: { npm: 'npm install -g {package}@{version}' } } };
};

describe('cli.install: the methods the vendor ships (at least one)', () => {
  it('a matrix with only an npm template is valid', () => {
    const m = matrixWith(npmOnly());
    expect(Object.keys(m.doc.cli.install)).toEqual(['npm']);
  });

  it('a matrix with no install method names the field', () => {
    const base = bundledJson();
    let err: unknown;
    try {
      matrixWith({ cli: { ...base.cli, install: {} } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MatrixError);
    expect((err as MatrixError).issues).toEqual([{ path: 'cli.install', message: expect.stringContaining('at least one install method') }]);
  });

  it('a method without a template is never suggested: a pnpm, Homebrew or standalone install gets the npm command', () => {
    const m = matrixWith(npmOnly());
    for (const method of ['pnpm', 'yarn', 'homebrew', 'standalone', 'npx', 'npm'] as const)
      expect(cliInstallCommand(m.doc, method, '2.4.0')).toBe('npm install -g acme-cli@2.4.0');
  });

  it('a Homebrew-only vendor: every install remedy is brew, never npm', () => {
    const base = bundledJson();
    const m = matrixWith({ cli: { ...base.cli, homebrew_formula: 'acme/tap/acme', install: { homebrew: 'brew upgrade {formula}' } } });
    expect(cliInstallCommand(m.doc, 'npm', '2.4.0')).toBe('brew upgrade acme/tap/acme');
    // The judge's remedy for a CLI the server refuses, installed with npm.
    const { verdict } = judge(
      m,
      { kind: 'cli_rejected', requiredVersion: '1.0.0', httpStatus: 426 },
      { version: '0.9.0', installMethod: 'npm' },
    );
    expect(verdict.status).toBe('cli_outdated');
    expect(JSON.stringify(verdict.hint)).toContain('brew upgrade acme/tap/acme');
    expect(JSON.stringify(verdict.hint)).not.toContain('npm');
  });
});

describe('endpoints: the paths a vendor server uses beside version_endpoint', () => {
  it('default to /api/v1/auth-check and /api/v1/health', () => {
    expect(matrixWith().doc.endpoints).toEqual({ auth_check: '/api/v1/auth-check', health: '/api/v1/health' });
  });

  it('may be set one at a time; a path that is not absolute names the field', () => {
    expect(matrixWith({ endpoints: { auth_check: '/acme/api/me' } }).doc.endpoints).toEqual({
      auth_check: '/acme/api/me',
      health: '/api/v1/health',
    });
    expect(() => matrixWith({ endpoints: { health: 'healthz' } })).toThrow(/endpoints\.health: must be an absolute path/);
  });
});

describe("doctor probes the matrix's endpoints", () => {
  let server: TestServer;
  let dir: string;
  const TOKEN = 'acme-token-endpoints-1234';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handshake-endpoints-'));
    server = await startServer((req, res) => {
      const headers = { 'X-Server-Version': '1.4.2', 'X-Schema-Revision': '0005_add_retention_policy' };
      if (req.url === '/api/v1/config/version')
        return json(res, 200, { server_version: '1.4.2', schema_revision: '0005_add_retention_policy' }, headers);
      if (req.url === '/acme/me')
        return req.headers.authorization === `Bearer ${TOKEN}` ? json(res, 200, { me: 'ok' }, headers) : json(res, 401, {}, headers);
      if (req.url === '/acme/ping') return json(res, 200, {}, headers);
      return json(res, 404, { error: 'not found' }, headers);
    });
  });
  afterAll(async () => {
    await server.close();
    await closeDefaultDispatcher();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the Authentication check tests the token on endpoints.auth_check, the drift check reads endpoints.health', async () => {
    const file = join(dir, 'compat.json');
    writeFileSync(file, JSON.stringify({ ...bundledJson(), endpoints: { auth_check: '/acme/me', health: '/acme/ping' } }));
    const before = server.requests.length;
    const report = await runDoctor({
      cliVersion: '0.9.0',
      server: server.url,
      compatFile: file,
      env: { XDG_CONFIG_HOME: join(dir, 'config'), HANDSHAKE_TOKEN: TOKEN },
    });
    const urls = server.requests.slice(before).map((r) => r.url);
    expect(urls).toContain('/acme/me');
    expect(urls).toContain('/acme/ping');
    expect(urls).not.toContain('/api/v1/auth-check');
    expect(urls).not.toContain('/api/v1/health');
    const auth = report.sections.flatMap((s) => s.checks).find((c) => c.id === 'server.auth');
    expect(auth?.status).toBe('pass');
    expect(auth?.detail).toContain('/acme/me');
  });
});
