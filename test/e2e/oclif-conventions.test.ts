import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { editDistance, suggestCommand, suggestFlag } from '../../commands/_lib/suggest.js';
import { linkVendorCli, parseJson, ROOT, runCli, sandbox } from '../helpers/cli.js';

// oclif's conventions (issue 17): shell completion from oclif's plugin, a suggestion for a mistyped command or
// flag (a usage error, exit 2, with the contract's error document under --json), and a root help that names
// the environment variables and the exit codes.
const box = sandbox();
afterAll(() => box.cleanup());
const run = (args: string[], bin?: string) => runCli(args, { env: box.env, ...(bin ? { bin } : {}) });

describe('a mistyped command', () => {
  it('names the command meant, with spaces between topic and command, exit 2', async () => {
    const r = await run(['compat', 'chek']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('handshake compat check');
    expect(r.stderr).not.toContain('compat:');
    expect(r.stderr).not.toMatch(/›|command .* not found/);
    expect(r.stdout).toBe('');
  });

  it('under --json: the error document on stdout, exit 2', async () => {
    const r = await run(['compat', 'chek', '--json']);
    expect(r.code).toBe(2);
    const doc = parseJson<{ error: { code: string; message: string; remedy: string } }>(r);
    expect(doc.error.code).toBe('E_USAGE');
    expect(doc.error.message).toContain('handshake compat check');
    expect(doc.error.remedy).toContain('handshake compat check --help');
  });

  it('finds a command typed without its topic, and suggests nothing for a word far from every command', async () => {
    expect((await run(['upgrade'])).stderr).toContain('handshake server upgrade');
    const far = await run(['frobnicate', '--json']);
    expect(far.code).toBe(2);
    expect(parseJson<{ error: { message: string; remedy: string } }>(far).error).toMatchObject({ remedy: 'See handshake --help' });
  });
});

describe('a mistyped flag', () => {
  it('names the flag meant, exit 2, also under --json', async () => {
    const r = await run(['compat', 'check', '--sever', 'http://127.0.0.1:9', '--json']);
    expect(r.code).toBe(2);
    const doc = parseJson<{ error: { code: string; message: string } }>(r);
    expect(doc.error.code).toBe('E_USAGE');
    expect(doc.error.message).toContain('--server');
  });

  it('is said once in our words with NODE_ENV development or test, not also as oclif’s “did you forget to call this.parse”', async () => {
    for (const NODE_ENV of ['development', 'test']) {
      for (const args of [
        ['api', '/x', '--timeout', 'abc'],
        ['compat', 'check', '--sever', 'http://127.0.0.1:9'],
      ]) {
        const r = await runCli(args, { env: { ...box.env, NODE_ENV } });
        expect(r.code, `${NODE_ENV} ${args.join(' ')}`).toBe(2);
        expect(r.stderr).toMatch(/^Error: /);
        expect(r.stderr).not.toMatch(/did not parse|UnparsedCommand|this\.parse/);
      }
    }
  });
});

describe('suggestions', () => {
  it('by edit distance, within a typo’s reach', () => {
    expect(editDistance('chek', 'check')).toBe(1);
    expect(editDistance('chekc', 'check')).toBe(1);
    const ids = ['compat:check', 'compat:show', 'server:status', 'server:upgrade', 'doctor', 'api', 'autocomplete'];
    expect(suggestCommand('compat:chek', ids)).toBe('compat:check');
    expect(suggestCommand('server:stauts', ids)).toBe('server:status');
    expect(suggestCommand('docter', ids)).toBe('doctor');
    expect(suggestCommand('zzz', ids)).toBeUndefined();
    expect(suggestFlag('--sever', { server: {}, timeout: {}, json: {} })).toBe('--server');
    expect(suggestFlag('--sever=http://x', { server: {}, json: {} })).toBe('--server');
    expect(suggestFlag('--qqqqqq', { server: {}, json: {} })).toBeUndefined();
  });
});

describe('the root help', () => {
  it('lists the environment variables and the exit codes', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const v of [
      'HANDSHAKE_SERVER',
      'HANDSHAKE_TOKEN',
      'HANDSHAKE_ADMIN_TOKEN',
      'HANDSHAKE_COMPAT_FILE',
      'HANDSHAKE_CACHE_DIR',
      'HANDSHAKE_NO_VERSION_CHECK',
      'NO_COLOR',
    ]) {
      expect(r.stdout).toContain(v);
    }
    const codes = r.stdout.slice(r.stdout.indexOf('EXIT CODES'));
    for (const c of ['0', '1', '2', '3', '4', '130', '143']) expect(codes).toMatch(new RegExp(`^\\s+${c}\\s`, 'm'));
    expect(r.stdout).toMatch(/^\s+autocomplete\s/m);
  });

  it("mounted in a vendor CLI, with the host's prefix", async () => {
    const r = await run(['--help'], await linkVendorCli());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ACME_SERVER');
    expect(r.stdout).toContain('ACME_NO_VERSION_CHECK');
    // (acme's own description says it mounts handshake; what handshake adds says acme.)
    expect(r.stdout.slice(r.stdout.indexOf('TOPICS')).toLowerCase()).not.toContain('handshake');
    const typo = await run(['compat', 'chek'], await linkVendorCli());
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('acme compat check');
    expect(typo.stderr.toLowerCase()).not.toContain('handshake');
  });
});

describe('handshake autocomplete', () => {
  it('is oclif’s plugin: prints the setup for a shell and the completion script', async () => {
    const setup = await run(['autocomplete', 'bash']);
    expect(setup.code).toBe(0);
    expect(setup.stdout).toContain('handshake autocomplete script bash');
    const script = await run(['autocomplete', 'script', 'bash']);
    expect(script.code).toBe(0);
    expect(script.stdout).toContain('HANDSHAKE_AC_BASH_SETUP_PATH');
  });
});

describe('the small conventions a newcomer tries (issue 28)', () => {
  it('handshake version and -v print what --version prints, exit 0', async () => {
    const expected = await run(['--version']);
    expect(expected.stdout).toMatch(/^handshake-compat\/\d+\.\d+\.\d+ /);
    for (const args of [['version'], ['-v']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toBe(expected.stdout);
    }
  });

  it('root help lists HANDSHAKE_CACHE_TTL with the other variables', async () => {
    const r = await run(['--help']);
    expect(r.stdout).toContain('HANDSHAKE_CACHE_TTL');
  });

  it('the reference server prints --help on stdout, exit 0', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['migrate', '--help']]) {
      const r = await runCli(args, { env: box.env, bin: join(ROOT, 'examples/reference-server/server.js') });
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage:');
      expect(r.stderr).toBe('');
    }
  });
});
