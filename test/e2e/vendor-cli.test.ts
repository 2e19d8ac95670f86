import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, spawnServe } from '../../examples/reference-server/process.js';
import { linkVendorCli, parseJson, ROOT, runCli, sandbox } from '../helpers/cli.js';

// examples/vendor-cli is "acme", a vendor CLI that lists handshake in oclif.plugins. A vendor gets handshake
// from npm; here its node_modules/handshake is this checkout, linked as `npm install ../..` would.
const ACME = join(ROOT, 'examples/vendor-cli/bin/run.js');
const box = sandbox();
const data = mkdtempSync(join(tmpdir(), 'acme-ref-'));
let server: ServerProcess;

beforeAll(async () => {
  await linkVendorCli();
  server = await spawnServe([
    '--quiet',
    '--data',
    join(data, 'db'),
    '--port',
    '0',
    '--at',
    '0003_add_insight_meta_cache',
    '--deployment',
    'docker-compose',
  ]);
}, 90_000);
afterAll(async () => {
  await server?.stop();
  rmSync(data, { recursive: true, force: true });
  box.cleanup();
});

const env = () => ({ ...box.env, ACME_SERVER: server.url, ACME_CACHE_DIR: join(box.dir, 'acme-cache') });
const acme = (args: string[], extra: Record<string, string> = {}) => runCli(args, { bin: ACME, env: { ...env(), ...extra } });

function expectBranded(r: { stdout: string; stderr: string }) {
  expect(`${r.stdout}\n${r.stderr}`.toLowerCase()).not.toContain('handshake');
}

describe('a vendor CLI mounting handshake (acme)', () => {
  it('acme compat check: the vendor matrix, ACME_SERVER, remedies naming acme', async () => {
    const r = await acme(['compat', 'check', '--json']);
    const report = parseJson<{ status: string; remedy: string; cli: { version: string } }>(r);
    expect(report.status).toBe('server_outdated');
    expect(report.cli.version).toBe('2.3.0');
    // ACME_SERVER names the server by URL, so the remedy does too: it can be pasted in any shell.
    expect(report.remedy).toBe(`acme server upgrade --server ${server.url}`);
    expect(r.code).toBe(3);
    expectBranded(r);
    expectBranded(await acme(['compat', 'check']));
  });

  it('acme compat show: the vendor matrix', async () => {
    const r = await acme(['compat', 'show', '--json']);
    expect(parseJson<{ matrix: { cli: { package: string } } }>(r).matrix.cli.package).toBe('@acme/cli');
    expectBranded(r);
  });

  it("acme projects: the vendor's own command goes through the checked client", async () => {
    const r = await acme(['projects']);
    expect(r.stdout).toMatch(/default/);
    expect(r.stderr).toContain('acme server upgrade');
    expect(r.code).toBe(3);
    expectBranded(r);
  });

  it("acme's own Flags.integer out of range: the flag, its range and the value, exit 2 (not oclif's bare 'Parsing --days')", async () => {
    for (const args of [
      ['--days', '5000'],
      ['--days', 'ten'],
      ['--days', '5000', '--json'],
    ]) {
      const r = await acme(['projects', 'retention', ...args]);
      expect(r.code).toBe(2);
      const said = args.includes('--json') ? parseJson<{ error: { message: string } }>(r).error.message : r.stderr;
      expect(said).toContain(`--days takes a whole number from 1 to 3650, got "${args[1]}"`);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/Parsing --|See more help with/);
      expectBranded(r);
    }
  });

  it('acme server upgrade --dry-run prints the vendor templates', async () => {
    const r = await acme(['server', 'upgrade', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ACME_VERSION=1.3.0 docker compose up');
    expectBranded(r);
  });

  it('acme reads ACME_SERVER; HANDSHAKE_SERVER means nothing to it', async () => {
    const r = await acme(['compat', 'check', '--json'], { HANDSHAKE_SERVER: 'http://127.0.0.1:1' });
    expect(parseJson<{ server: { url: string } }>(r).server.url).toBe(server.url);
  });

  it('with no server at all, the remedy names ACME_SERVER', async () => {
    const r = await runCli(['compat', 'check', '--json'], { bin: ACME, env: { ...box.env, ACME_CACHE_DIR: join(box.dir, 'acme-cache') } });
    expect(r.code).toBe(2);
    expect(parseJson<{ error: { remedy: string } }>(r).error.remedy).toContain('ACME_SERVER');
    expectBranded(r);
  });

  it('ships its matrix, its help class, its bin and its commands (npm pack), as docs/embedding.md says', () => {
    const packed = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: join(ROOT, 'examples/vendor-cli'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files = (JSON.parse(packed) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['bin/run.js', 'compat.json', 'help.js', 'commands/projects.js', 'oclif.manifest.json']));
    expect(files?.some((f) => f.startsWith('node_modules/'))).toBe(false);
  });

  it("help speaks of acme's variables", async () => {
    const r = await acme(['compat', 'check', '--help']);
    expect(r.stdout).toContain('$ACME_SERVER');
    expectBranded(r);
  });
});

describe('the same commands as handshake itself', () => {
  it('handshake compat check against the same server', async () => {
    const r = await runCli(['compat', 'check', '--json', '--server', server.url], { env: box.env });
    expect(parseJson<{ remedy: string }>(r).remedy).toBe(`handshake server upgrade --server ${server.url}`);
  });
});
