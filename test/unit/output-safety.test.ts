import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { classifyResponse } from '../../src/handshake/observe.js';
import { shellCommand } from '../../src/matrix/templates.js';
import { sanitize, sanitizeOutput } from '../../src/render/sanitize.js';
import { createStyle } from '../../src/render/style.js';
import { ROOT } from '../helpers/cli.js';
import { EVIL, rawControls } from '../helpers/hostile.js';
import { matrixWith } from '../helpers/matrix.js';

describe('sanitizeOutput: the writer’s last guard', () => {
  const style = createStyle(true);

  it('keeps layout (newline, tab) and escapes every other control character', () => {
    const out = sanitizeOutput(`a\tb\n${EVIL}`);
    expect(rawControls(out)).toEqual([]);
    expect(out).toContain('a\tb\n');
  });

  it('with colour on, keeps exactly this CLI’s own colour codes and nothing else', () => {
    const ours = `${style.red('x')} ${style.bold('y')} ${style.dim('z')} ${style.green('g')} ${style.yellow('w')} ${style.cyan('c')}`;
    expect(sanitizeOutput(ours, { keepStyle: true })).toBe(ours);
    // A server's SGR (even one that looks like ours but is not: 5 = blink, 8 = conceal) and any other sequence are escaped.
    for (const foreign of ['\u001b[5m', '\u001b[8m', '\u001b[2J', '\u001b]0;t\u0007', '\u009b31m', '\u001b[31;1m']) {
      expect(rawControls(sanitizeOutput(`a${foreign}b`, { keepStyle: true }))).toEqual([]);
    }
    // With colour off, even our own codes are escaped (they cannot be there legitimately).
    expect(rawControls(sanitizeOutput(ours))).toEqual([]);
  });

  it('sanitize also escapes the Arabic letter mark (a bidi control)', () => {
    expect(sanitize('a\u061cb')).toBe('a\\u061cb');
  });
});

describe('every write to the terminal goes through the one writer', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );

  it('src/ never prints; commands/ prints only through BaseCommand (and api’s raw body)', () => {
    const offenders: string[] = [];
    for (const file of [...files(join(ROOT, 'src')), ...files(join(ROOT, 'commands'))]) {
      const rel = relative(ROOT, file);
      if (rel === join('commands', '_lib', 'base.ts')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (!/process\.(stdout|stderr)\.write|console\.\w+\(|\b(stdout|stderr|err|out)\.write\(/.test(line)) return;
          // The one deliberate raw write: api's response body, byte for byte (to the run's stdout, commands/_lib/io.ts).
          if (rel === join('commands', 'api.ts') && line.trim() === 'this.io.stdout.write(res.body);') return;
          offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});

describe('shellCommand: commands handshake composes itself', () => {
  it('leaves plain words (a URL with a port) readable', () => {
    expect(shellCommand(['handshake', 'server', 'status', '--server', 'https://ops.example.com:8443/observal/'])).toBe(
      'handshake server status --server https://ops.example.com:8443/observal/',
    );
  });

  it('quotes anything else so that a shell reads back exactly the words', () => {
    const words = ['http://h/a;$(touch pwned)`id`&x|y', "it's", 'a b', '*', '~', '#c', '{x}', '!n', '$HOME', 'a\nb'];
    const line = shellCommand(['printf', '%s\\0', ...words]);
    const out = execFileSync('sh', ['-c', line], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(words);
  });
});

describe('the config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handshake-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: object, mode: number) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    chmodSync(path, mode);
    return path;
  };

  it.skipIf(process.platform === 'win32')(
    'holding a token with a mode wider than 0600: a warning, returned, with a pasteable chmod',
    () => {
      for (const mode of [0o644, 0o640, 0o604, 0o660]) {
        const path = write(`wide ${mode.toString(8)};x.json`, { server: 'https://a.example', token: 'tok-123456' }, mode);
        expect(statSync(path).mode & 0o777).toBe(mode);
        const { config, warnings } = loadConfig(path);
        expect(config.token).toBe('tok-123456');
        expect(warnings).toHaveLength(1);
        // The path holds a space and a ';': the command quotes it.
        expect(warnings[0]).toContain(`chmod 600 '${path}'`);
        // The warning never carries the token.
        expect(JSON.stringify(warnings)).not.toContain('tok-123456');
      }
    },
  );

  it('0600, or no token in it: no warning', () => {
    expect(loadConfig(write('tight.json', { server: 'https://a.example', token: 'tok-123456' }, 0o600)).warnings).toEqual([]);
    expect(loadConfig(write('no-token.json', { server: 'https://a.example' }, 0o644)).warnings).toEqual([]);
  });
});

describe('Retry-After in one-shot commands', () => {
  const matrix = matrixWith();
  const res = (status: number, headers: Record<string, string>) => ({ status, headers, body: Buffer.from('{}'), url: 'http://h' });

  it('a 429 or 503 names the wait the server asked for in its remedy', () => {
    for (const status of [429, 503]) {
      const o = classifyResponse(res(status, { 'retry-after': '30' }), matrix);
      expect(o.kind).toBe('unreachable');
      if (o.kind === 'unreachable') {
        expect(o.retryAfterMs).toBe(30_000);
        expect(o.remedy).toContain('30 s');
      }
    }
  });

  it('a hostile Retry-After is just absent', () => {
    const o = classifyResponse(res(429, { 'retry-after': `30${EVIL}` }), matrix);
    expect(o.kind === 'unreachable' && o.retryAfterMs).toBeFalsy();
    expect(o.kind === 'unreachable' && o.remedy).not.toContain('\u001b');
  });
});

describe('an invalid version document names the field and the problem', () => {
  const matrix = matrixWith();
  const reason = (doc: unknown) => {
    const o = classifyResponse(
      { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(doc)), url: 'u' },
      matrix,
    );
    return o.kind === 'invalid_response' ? o.reason : o.kind;
  };

  it('a field of the wrong type is not reported as missing, and a missing one is', () => {
    expect(reason({ server_version: '1.4.2', api_version: 5 })).toMatch(/api_version must be a string/);
    expect(reason({ server_version: '1.4.2', pending_migrations: {} })).toMatch(/pending_migrations must be an array/);
    expect(reason({ api_version: 'x' })).toMatch(/server_version is missing/);
    expect(reason({ server_version: 5 })).toMatch(/server_version must be a semver/);
  });
});
