import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, parseJson, ROOT, runCli } from '../helpers/cli.js';
import { json, startServer, type TestServer } from '../helpers/http-server.js';

// What a vendor does (docs/embedding.md): a CLI made by `oclif generate` (test/fixtures/vendor-mycli, see its
// SOURCE.md), handshake-compat packed and installed from the tarball, the vendor's matrix shipped, the vendor's
// CLI itself packed and installed beside it, then run. Packed once for the whole file.

const FIXTURE = join(ROOT, 'test/fixtures/vendor-mycli');
const work = mkdtempSync(join(tmpdir(), 'vendor-e2e-'));
const app = join(work, 'app');
const modules = join(app, 'node_modules');
const TOKEN = 'mycli-token-0123456789';
let server: TestServer;
let refusing: TestServer;

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', env: npmEnv() });
}

/** npm without this checkout's settings (engine-strict, a workspace root) leaking into the vendor's project. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_/i.test(k)) delete env[k];
  return env;
}

/** Packs `dir` (a package) into `dest`, returning the tarball's path. */
function pack(dir: string, dest: string): string {
  mkdirSync(dest, { recursive: true });
  const [info] = JSON.parse(npm(['pack', '--json', '--pack-destination', dest], dir)) as { filename: string }[];
  return join(dest, (info as { filename: string }).filename);
}

/** The fixture as a vendor would have it, with `edit` applied, packed. */
function packVendor(name: string, edit: (pkg: Record<string, unknown>, dir: string) => void): string {
  const dir = join(work, `src-${name}`);
  cpSync(FIXTURE, dir, { recursive: true });
  const pkgPath = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as Record<string, unknown>;
  edit(pkg, dir);
  writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
  return pack(dir, join(work, `packed-${name}`));
}

/** Unpacks a packed vendor CLI into the project's node_modules under another directory name, as npm would place it. */
function unpackAs(tarball: string, name: string): void {
  const dest = join(modules, name);
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', dest, '--strip-components=1']);
}

beforeAll(async () => {
  // The build's files (bin/run.js, dist/, compat.json…), as `npm publish` would ship them.
  const handshake = pack(ROOT, join(work, 'packed-handshake'));
  // As generated, plus the matrix in `files` (the fixture): the vendor followed docs/embedding.md.
  const shipped = packVendor('shipped', () => {});
  // As `oclif generate` writes `files`: compat.json sits in the source tree but never reaches the package.
  const missing = packVendor('missing', (pkg) => {
    pkg.files = ['./bin', './dist', './oclif.manifest.json'];
  });
  // A matrix that does not validate (no recommended_server_version).
  const invalid = packVendor('invalid', (_pkg, dir) => {
    const m = JSON.parse(readFileSync(join(dir, 'compat.json'), 'utf8')) as Record<string, unknown>;
    delete m.recommended_server_version;
    writeFileSync(join(dir, 'compat.json'), JSON.stringify(m, null, 2));
  });
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  npm(['install', '--prefer-offline', handshake, shipped], app);
  unpackAs(missing, 'mycli-missing');
  unpackAs(invalid, 'mycli-invalid');

  const headers = { 'X-Mycli-Server': '2.1.0', 'X-Mycli-Schema': '20240601_audit' };
  server = await startServer((req, res) => {
    if (req.url === '/mycli/api/version') return json(res, 200, { server_version: '2.1.0', schema_revision: '20240601_audit' }, headers);
    if (req.url === '/mycli/api/me')
      return req.headers.authorization === `Bearer ${TOKEN}`
        ? json(res, 200, { me: 'ada' }, headers)
        : json(res, 401, { error: 'token' }, headers);
    if (req.url === '/mycli/api/ping') return json(res, 200, { ok: true }, headers);
    return json(res, 404, { error: 'not found' }, headers);
  });
  // A server that refuses this CLI as too old, naming the version it requires in mycli's header.
  refusing = await startServer((_req, res) => json(res, 426, { error: 'upgrade' }, { 'X-Mycli-Requires': '1.2.0' }));
}, 240_000);

afterAll(async () => {
  await server?.close();
  await refusing?.close();
  rmSync(work, { recursive: true, force: true });
});

const home = join(work, 'home');
const env = (extra: Record<string, string> = {}) => ({
  HOME: home,
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_CACHE_HOME: join(home, 'cache'),
  MYCLI_SERVER: server.url,
  ...extra,
});
const mycli = (args: string[], extra: Record<string, string> = {}, pkg = 'mycli') =>
  runCli(args, { bin: join(modules, pkg, 'bin/run.js'), env: env(extra), cwd: work, timeoutMs: 60_000 });

/** Everything the user sees; the word "handshake" must not be in it. */
const seen = (r: CliResult) => `${r.stdout}\n${r.stderr}`.toLowerCase();

interface DoctorDoc {
  sections: { checks: { id: string; status: string; detail: string; remedy: string | null }[] }[];
}
const checksOf = (r: CliResult) => new Map(parseJson<DoctorDoc>(r).sections.flatMap((s) => s.checks.map((c) => [c.id, c] as const)));

describe('mycli: an oclif-generated CLI with handshake-compat installed from tarballs', () => {
  it('compat check reads its paths and header names from the vendor matrix, and sends its own', async () => {
    const before = server.requests.length;
    const r = await mycli(['compat', 'check', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson<{ status: string; cli: { version: string }; server: { version: string } }>(r);
    expect(doc).toMatchObject({ status: 'compatible', cli: { version: '1.0.0' }, server: { version: '2.1.0' } });
    const requests = server.requests.slice(before);
    expect(requests.map((q) => q.url)).toEqual(['/mycli/api/version']);
    expect(requests[0]?.headers['x-mycli-client']).toBe('1.0.0');
    expect(requests[0]?.headers['user-agent']).toMatch(/^mycli\/1\.0\.0 /);
    expect(seen(r)).not.toContain('handshake');
  });

  it('a 426 naming the version in X-Mycli-Requires: the remedy is the one install method mycli ships', async () => {
    const r = await mycli(['compat', 'check', '--json'], { MYCLI_SERVER: refusing.url });
    expect(r.code).toBe(3);
    expect(parseJson<{ status: string; remedy: string }>(r)).toMatchObject({
      status: 'cli_outdated',
      remedy: 'npm install -g mycli@1.2.0',
    });
    expect(seen(r)).not.toContain('handshake');
  });

  it('doctor probes the vendor endpoints with MYCLI_TOKEN, checks Node against handshake-compat’s engines, never says handshake', async () => {
    const before = server.requests.length;
    const r = await mycli(['doctor', '--json'], { MYCLI_TOKEN: TOKEN });
    expect(r.code, r.stdout).toBe(0);
    const checks = checksOf(r);
    expect(checks.get('server.auth')).toMatchObject({ status: 'pass', detail: expect.stringContaining('GET /mycli/api/me') });
    expect(checks.get('server.headers')?.status).toBe('pass');
    // mycli's own engines say >=18.0.0; handshake-compat needs 20.19.
    expect(checks.get('cli.node')?.detail).toContain('>=20.19');
    expect(checks.get('cli.version')?.detail).toContain('npm install -g mycli@latest');
    const urls = new Set(server.requests.slice(before).map((q) => q.url));
    expect([...urls].sort()).toEqual(['/mycli/api/me', '/mycli/api/ping', '/mycli/api/version']);
    for (const format of [['--json'], [], ['--markdown']]) {
      const out = await mycli(['doctor', ...format], { MYCLI_TOKEN: TOKEN });
      expect(seen(out)).not.toContain('handshake');
      expect(out.stdout).not.toContain(TOKEN);
    }
  });

  it('help, compat show and server status speak of mycli only', async () => {
    for (const args of [['--help'], ['compat', 'check', '--help'], ['compat', 'show'], ['server', 'status']]) {
      const r = await mycli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(seen(r), args.join(' ')).not.toContain('handshake');
    }
    expect((await mycli(['--help'])).stdout).toContain('MYCLI_SERVER');
  });

  it("the vendor's own command still runs beside the mounted ones", async () => {
    const r = await mycli(['hello', 'friend', '--from', 'oclif']);
    expect(r.stdout).toContain('hello friend from oclif!');
  });
});

describe('mycli without its matrix in `files` (as `oclif generate` writes it)', () => {
  const file = () => join(modules, 'mycli-missing', 'compat.json');

  it('every command that needs a matrix exits 2 saying where it looked and how to ship it: no fallback to the example matrix', async () => {
    for (const args of [
      ['compat', 'check'],
      ['compat', 'show'],
      ['server', 'status'],
    ]) {
      const r = await mycli([...args, '--json'], {}, 'mycli-missing');
      expect(r.code, args.join(' ')).toBe(2);
      const { error } = parseJson<{ error: { code: string; message: string; remedy: string } }>(r);
      expect(error.code).toBe('E_MATRIX_MISSING');
      expect(error.message).toContain(file());
      expect(error.remedy).toContain('"files"');
      expect(error.remedy).toContain(join(modules, 'mycli-missing', 'package.json'));
      expect(error.remedy).toContain('handshake.compat');
    }
  });

  it('doctor fails its Compat matrix row and never offers handshake-compat', async () => {
    const r = await mycli(['doctor', '--json'], {}, 'mycli-missing');
    expect(r.code).toBe(3);
    expect(checksOf(r).get('cli.matrix')).toMatchObject({ status: 'fail', detail: expect.stringContaining(file()) });
    expect(r.stdout).not.toContain('handshake-compat');
  });
});

describe('mycli shipping an invalid matrix', () => {
  const file = () => join(modules, 'mycli-invalid', 'compat.json');

  it('names the vendor\'s file, never "bundled", and no flag the user did not pass', async () => {
    const r = await mycli(['compat', 'check', '--json'], {}, 'mycli-invalid');
    expect(r.code).toBe(2);
    const { error } = parseJson<{ error: { code: string; message: string; remedy: string; file: string } }>(r);
    expect(error.code).toBe('E_MATRIX_INVALID');
    expect(error.message).toBe(`Invalid compat matrix ${file()}: recommended_server_version: required (string)`);
    expect(error.file).toBe(file());
    expect(error.remedy).not.toMatch(/--compat|bundled/);
    expect(seen(r)).not.toContain('handshake');
    const human = await mycli(['compat', 'check'], {}, 'mycli-invalid');
    expect(human.code).toBe(2);
    expect(seen(human)).not.toContain('handshake');
    expect(human.stderr).not.toContain('--compat');
  });

  it('doctor names the file and offers nothing of handshake-compat', async () => {
    const r = await mycli(['doctor', '--json'], {}, 'mycli-invalid');
    expect(r.code).toBe(3);
    expect(checksOf(r).get('cli.matrix')?.detail).toContain(file());
    expect(seen(r)).not.toContain('handshake');
  });
});
