import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  flagValueError,
  headersFrom,
  intervalFlag,
  maxBytesFlag,
  parseHeader,
  parseMethod,
  timeoutFlag,
  waitFlag,
} from '../../commands/_lib/flags.js';
import { HandshakeCache } from '../../src/cache/cache.js';
import { addServer, jsonErrorPosition, loadConfig, lookupServer, removeServer, tryLoadConfig, useServer } from '../../src/config/config.js';
import { readProxySettings } from '../../src/doctor/proxy.js';
import { ErrorCode, HandshakeError, isHandshakeError } from '../../src/errors.js';
import { ensureDirectory, homeDirectory, normalizeProxy, proxySettings, readUserFile, tokenFromEnv } from '../../src/input/index.js';
import { OWN_WORDS, remedyFor } from '../../src/render/remedy.js';
import { createAgent, httpRequest } from '../../src/transport/request.js';
import { parseServerUrl, suggestBase } from '../../src/url.js';
import { parseFlag } from '../helpers/flags.js';
import { json, startServer, type TestServer } from '../helpers/http-server.js';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
});
async function serve(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(handler);
  closers.push(() => s.close());
  return s;
}

/** The usage error `fn` throws (fails the test when it throws anything else, or nothing). */
function usage(fn: () => unknown): HandshakeError {
  try {
    fn();
  } catch (err) {
    if (isHandshakeError(err, ErrorCode.Usage)) return err;
    throw err;
  }
  throw new Error('no usage error was thrown');
}
async function usageAsync(p: Promise<unknown>): Promise<HandshakeError> {
  try {
    await p;
  } catch (err) {
    if (isHandshakeError(err, ErrorCode.Usage)) return err;
    throw err;
  }
  throw new Error('no usage error was thrown');
}

describe('an unsolicited 100 Continue (RFC 9110 §15.2: a client ignores 1xx)', () => {
  it('is skipped and the final answer read, on a raw socket', async () => {
    const server: NetServer = createNetServer((s) => {
      s.once('data', () => {
        s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\nx-a: b\r\n\r\n');
        s.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const { port } = server.address() as { port: number };
    const dispatcher = createAgent();
    closers.push(() => dispatcher.destroy());
    const res = await httpRequest(`http://127.0.0.1:${port}/x`, { timeoutMs: 5000, dispatcher });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('{"ok":true}');
  });
});

describe('what crosses to another origin on a redirect', () => {
  it("drops every header of the caller's but the allow-list, and the body", async () => {
    const other = await serve((_req, res) => json(res, 200, { ok: true }));
    const first = await serve((_req, res) => {
      res.writeHead(302, { location: `${other.url}/landed` });
      res.end();
    });
    await httpRequest(`${first.url}/start`, {
      timeoutMs: 5000,
      body: '{"secret":"in-body"}',
      headers: {
        'x-api-key': 'k-123',
        'private-token': 'p-456',
        accept: 'application/json',
        'user-agent': 'handshake/test',
        'content-type': 'application/json',
      },
    });
    expect(first.requests[0]?.headers['x-api-key']).toBe('k-123');
    expect(first.requests[0]?.body).toBe('{"secret":"in-body"}');
    const landed = other.requests[0];
    expect(landed?.url).toBe('/landed');
    expect(landed?.headers['x-api-key']).toBeUndefined();
    expect(landed?.headers['private-token']).toBeUndefined();
    expect(landed?.body).toBe('');
    expect(landed?.headers.accept).toBe('application/json');
    expect(landed?.headers['user-agent']).toBe('handshake/test');
  });
});

describe('input the transport refuses before sending anything', () => {
  it('a token with a line break, a header with a control byte, a bad method, a timeout no timer holds', async () => {
    const server = await serve((_req, res) => json(res, 200, {}));
    const auth = { origin: new URL(server.url).origin, token: 'tok\n' };
    expect((await usageAsync(httpRequest(server.url, { timeoutMs: 1000, auth }))).message).toMatch(/token/);
    await usageAsync(httpRequest(server.url, { timeoutMs: 1000, headers: { 'x-a': 'a\r\nx-b: c' } }));
    await usageAsync(httpRequest(server.url, { timeoutMs: 1000, method: 'GE T' }));
    await usageAsync(httpRequest(server.url, { timeoutMs: 2_147_483_648 }));
    expect(server.requests).toHaveLength(0);
  });

  it('states the real size limit', async () => {
    const server = await serve((_req, res) => json(res, 200, { data: 'x'.repeat(100) }));
    const err = await httpRequest(server.url, { timeoutMs: 5000, maxBytes: 50 }).catch((e: HandshakeError) => e);
    expect(isHandshakeError(err, ErrorCode.TooLarge)).toBe(true);
    expect((err as HandshakeError).message).toMatch(/\b50 bytes\b/);
  });
});

describe('proxy variables', () => {
  it('takes host:port as http:// (like curl) and refuses other schemes and broken %-escapes, naming the variable', () => {
    expect(proxySettings({ HTTP_PROXY: '127.0.0.1:3128' }).httpProxy).toBe('http://127.0.0.1:3128/');
    expect(proxySettings({ http_proxy: '', HTTP_PROXY: 'http://ignored:1' }).httpProxy).toBeUndefined();
    expect(usage(() => proxySettings({ HTTPS_PROXY: 'ftp://x' })).message).toContain('HTTPS_PROXY');
    const bad = usage(() => normalizeProxy('https_proxy', 'http://user:p%zzword@proxy:3128'));
    expect(bad.message).toContain('https_proxy');
    expect(`${bad.message} ${bad.remedy}`).not.toContain('p%zzword');
    expect(usage(() => createAgent({ env: { HTTP_PROXY: 'socks5://proxy:1080' } })).message).toContain('HTTP_PROXY');
  });

  it('NO_PROXY is read once, as undici reads it (lower case first, even empty), for the transport and doctor alike', () => {
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{}, ''],
      [{ NO_PROXY: 'a.example' }, 'a.example'],
      [{ no_proxy: 'b.example', NO_PROXY: 'a.example' }, 'b.example'],
      [{ no_proxy: '', NO_PROXY: 'a.example' }, ''],
    ];
    for (const [env, noProxy] of cases) {
      expect(proxySettings(env).noProxy).toBe(noProxy);
      expect(readProxySettings(env).noProxy).toBe(noProxy);
    }
  });
});

describe('files and variables the user gave', () => {
  it('-d @file: a missing file and a directory are usage errors naming the file', () => {
    expect(usage(() => readUserFile('/nonexistent', 'the request body file')).message).toContain('/nonexistent');
    expect(usage(() => readUserFile('/etc', 'the request body file')).message).toMatch(/\/etc.*directory/);
  });

  it('the token variable: a newline or a control byte is a usage error naming it, and never quotes it', () => {
    expect(tokenFromEnv({})).toBeNull();
    expect(tokenFromEnv({ HANDSHAKE_TOKEN: ' tok-1 ' })).toBe('tok-1');
    const err = usage(() => tokenFromEnv({ ACME_TOKEN: 'sEcReT\n' }, 'ACME_TOKEN'));
    expect(err.message).toContain('ACME_TOKEN');
    expect(`${err.message}${err.remedy}`).not.toContain('sEcReT');
    usage(() => tokenFromEnv({ HANDSHAKE_TOKEN: 'a\u0007b' }));
  });

  it('no home directory: null, never a throw', () => {
    expect(homeDirectory({ HOME: '' })).toBeNull();
    expect(homeDirectory({ HOME: 'relative' })).toBeNull();
    expect(homeDirectory({ HOME: '/home/x' })).toBe('/home/x');
  });

  it('a directory under /proc fails at once, naming the variable; the cache just does without', () => {
    const err = usage(() => ensureDirectory('/proc/handshake-test/a/b', { variable: 'HANDSHAKE_CACHE_DIR' }));
    expect(err.message).toContain('HANDSHAKE_CACHE_DIR');
    const cache = new HandshakeCache('/proc/handshake-test/cache');
    expect(cache.write(new URL('http://x.example/'), { server_version: '1.0.0' } as never, Date.now())).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'handshake-dir-'));
    ensureDirectory(join(dir, 'a', 'b', 'c'));
    ensureDirectory(join(dir, 'a', 'b', 'c'));
    writeFileSync(join(dir, 'file'), '');
    usage(() => ensureDirectory(join(dir, 'file', 'below')));
    rmSync(dir, { recursive: true });
  });
});

describe('server URLs', () => {
  it('localhost:8080 suggests http://localhost:8080; a host suggests https://', () => {
    expect(usage(() => parseServerUrl('localhost:8080')).message).toContain('http://localhost:8080');
    expect(usage(() => parseServerUrl('ops.example.com')).message).toContain('https://ops.example.com');
    expect(usage(() => parseServerUrl('localhost:8080', { what: 'the URL argument' })).message).toContain('the URL argument');
  });
  it('a scheme missing its colon or a slash suggests the URL meant, not https://http//…', () => {
    for (const [typed, meant] of [
      ['http//127.0.0.1:46097', 'http://127.0.0.1:46097'],
      ['http:/127.0.0.1:46097', 'http://127.0.0.1:46097'],
      ['https//ops.example.com/obs', 'https://ops.example.com/obs'],
      ['HTTPS:ops.example.com', 'https://ops.example.com'],
    ]) {
      const err = usage(() => parseServerUrl(typed as string));
      expect(err.message, typed).toContain(`did you mean ${meant}?`);
      expect(err.remedy, typed).toBe(`Give the full URL, e.g. ${meant}`);
      expect(err.message).not.toContain('://http');
    }
  });
  it("the version endpoint's own URL is cut back to its base; a doubled /api is found", () => {
    expect(parseServerUrl('https://ops.example.com/obs/api/v1/config/version').href).toBe('https://ops.example.com/obs/');
    expect(suggestBase(parseServerUrl('http://h.example/api'))?.href).toBe('http://h.example/');
    expect(suggestBase(parseServerUrl('http://h.example/x/api/v1'))?.href).toBe('http://h.example/x/');
    expect(suggestBase(parseServerUrl('http://h.example/observal'))).toBeNull();
  });
});

describe('the config file', () => {
  it('a broken file names the file, the line and the column; tryLoadConfig never throws', () => {
    const dir = mkdtempSync(join(tmpdir(), 'handshake-config-'));
    const path = join(dir, 'config.json');
    writeFileSync(path, '{\n  "servers": {},\n}\n');
    const err = (() => {
      try {
        loadConfig(path);
      } catch (e) {
        return e as HandshakeError;
      }
      throw new Error('no error');
    })();
    expect(err.code).toBe(ErrorCode.ConfigInvalid);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/line 3, column 1/);
    expect(tryLoadConfig(path).error?.code).toBe(ErrorCode.ConfigInvalid);
    expect(tryLoadConfig(null).config.servers).toEqual({});
    expect(jsonErrorPosition('{"a":', new SyntaxError('Unexpected end of JSON input'))).toEqual({ line: 1, column: 6 });
    rmSync(dir, { recursive: true });
  });

  it('server add refuses to replace a name with another URL unless asked; unknown names list the configured ones', () => {
    const one = addServer({ servers: {} }, 'prod', 'https://a.example', 'tok', false);
    expect(addServer(one, 'prod', 'https://a.example', undefined, false).servers.prod?.token).toBe('tok');
    // The remedy is data (src/hint.ts), said in the host's words by render/.
    expect(
      remedyFor(
        usage(() => addServer(one, 'prod', 'https://b.example', undefined, false)),
        OWN_WORDS,
      ),
    ).toContain('--force');
    expect(addServer(one, 'prod', 'https://b.example', undefined, false, true).servers.prod?.url).toBe('https://b.example');
    expect(usage(() => addServer(one, 'bad', 'localhost:8080', undefined, false)).message).toContain('URL argument');
    for (const fn of [() => useServer(one, 'nope'), () => removeServer(one, 'nope')]) {
      const err = usage(fn);
      expect(`${err.message} ${remedyFor(err, OWN_WORDS)}`).toContain('prod');
      expect(remedyFor(err, OWN_WORDS)).not.toMatch(/full URL/);
    }
    expect(
      remedyFor(
        usage(() => lookupServer(one, 'ops.example.com')),
        OWN_WORDS,
      ),
    ).toContain('https://ops.example.com');
  });
});

describe('flag values', () => {
  // Parsed by oclif (Flags.integer's check), refused in our words (flagValueError), as a command's flags are.
  const flags = { timeout: timeoutFlag(), interval: intervalFlag(2), wait: waitFlag(600) };
  it('--timeout and friends: whole numbers in a range that fits a timer, named in the error', async () => {
    expect(await parseFlag(flags, 'timeout', '5000')).toBe(5000);
    for (const bad of ['2147483648', '99999999999', '0', '-1', 'abc', '1e3', '1.5', '']) {
      expect((await usageAsync(parseFlag(flags, 'timeout', bad))).message).toMatch(/--timeout.*3600000/);
    }
    expect(await parseFlag(flags, 'interval', '0.5')).toBe(500);
    await usageAsync(parseFlag(flags, 'interval', '0.1'));
    await usageAsync(parseFlag(flags, 'wait', '0'));
  });

  it("oclif's refusal is said once, in our words: the flag, its range, the value typed, and a value to paste", async () => {
    const timeout = await usageAsync(parseFlag(flags, 'timeout', '99999999999'));
    expect(timeout.message).toBe('--timeout takes a whole number of milliseconds from 1 to 3600000, got "99999999999"');
    expect(timeout.remedy).toBe('--timeout 5000');
    const wait = await usageAsync(parseFlag(flags, 'wait', ' 0 '));
    expect(wait.message).toBe('--wait takes a number of seconds more than 0 and at most 86400, got " 0 "');
    expect(wait.remedy).toBe('--wait 600');
    // The value as typed, spaces and all, for a whole number too (oclif is handed the trimmed one).
    const bytes = await usageAsync(parseFlag({ 'max-bytes': maxBytesFlag(1024) }, 'max-bytes', ' 12x'));
    expect(bytes.message).toBe('--max-bytes takes a whole number of bytes from 1 to 1073741824, got " 12x"');
    // Typed, not read as a replacement pattern: $& and $' are what the user typed.
    const pattern = await usageAsync(parseFlag({ 'max-bytes': maxBytesFlag(1024) }, 'max-bytes', "$&x$'"));
    expect(pattern.message).toBe(`--max-bytes takes a whole number of bytes from 1 to 1073741824, got "$&x$'"`);
    // Seconds that round to 0 ms are refused as 0 is, not run as "no wait at all".
    for (const tiny of ['0.0004', '.0001', '0.000']) {
      expect((await usageAsync(parseFlag(flags, 'wait', tiny))).message).toBe(
        `--wait takes a number of seconds more than 0 and at most 86400, got "${tiny}"`,
      );
    }
    expect(await parseFlag(flags, 'wait', '0.001')).toBe(1);
    await usageAsync(parseFlag(flags, 'interval', '0.0004'));
    // A vendor's own Flags.integer (docs/embedding.md's --limit): its range from oclif's definition, no unit.
    const vendor = { limit: Flags.integer({ min: 1, max: 100, default: 20 }), name: Flags.string() };
    expect((await usageAsync(parseFlag(vendor, 'limit', '500'))).message).toBe('--limit takes a whole number from 1 to 100, got "500"');
    const unbounded = { limit: Flags.integer() };
    const plain = await usageAsync(parseFlag(unbounded, 'limit', 'ten'));
    expect(plain.message).toBe('--limit: Expected an integer but received: ten');
    expect(plain.message).not.toMatch(/Parsing|See more help/);
    expect(plain.remedy).toBe('See --help');
    expect(flagValueError(new Error('something else'), vendor, 'See --help')).toBeUndefined();
    // A custom flag whose parse throws a coded error: its message and fix, without oclif's "Parsing --tier".
    const tier = Flags.custom<string>({
      parse: async (input) => {
        throw new HandshakeError(ErrorCode.Usage, `--tier "${input}" is not a tier`, { remedy: '--tier gold' });
      },
    })();
    const custom = await usageAsync(parseFlag({ tier }, 'tier', 'tin'));
    expect(custom.message).toBe('--tier "tin" is not a tier');
    expect(custom.remedy).toBe('--tier gold');
  });

  it('-H refuses control bytes, Expect, Upgrade and hop-by-hop headers; -X refuses what is no method', () => {
    expect(headersFrom(['X-Request-Id: 42', 'Accept:\tapplication/json'])).toEqual({ 'x-request-id': '42', accept: 'application/json' });
    for (const bad of [
      'X-A: a\u0000b',
      'X-A: a\rb',
      'Expect: 100-continue',
      'Upgrade: h2c',
      'Connection: close',
      'Transfer-Encoding: chunked',
      'Host: x',
      'no colon',
      'Bad Name: x',
    ]) {
      expect(usage(() => parseHeader(bad)).message).toMatch(/-H/);
    }
    expect(parseMethod('post')).toBe('POST');
    for (const bad of ['GE T', 'CONNECT', 'A\nB', '']) expect(usage(() => parseMethod(bad)).message).toMatch(/-X/);
  });
});
