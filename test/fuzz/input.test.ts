import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { intervalFlag, parseHeader, parseMethod, timeoutFlag } from '../../commands/_lib/flags.js';
import { ErrorCode, isHandshakeError } from '../../src/errors.js';
import { normalizeProxy, readUserFile, tokenFromEnv } from '../../src/input/index.js';
import { sanitize } from '../../src/render/sanitize.js';
import { parseServerUrl } from '../../src/url.js';
import { runCli, sandbox } from '../helpers/cli.js';
import { parseFlag } from '../helpers/flags.js';
import { rawControls } from '../helpers/hostile.js';
import { evilString, fuzzCases, fuzzParams } from './arbitraries.js';

afterAll(() => {
  if (process.env.FUZZ_SCALE) console.log(`fuzz: ${fuzzCases()} cases in ${import.meta.url.split('/').pop()}`);
});

/** What the user can type or set: ordinary text, evil characters, numbers of every size. */
const userText = fc.oneof(
  fc.string(),
  evilString,
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
  fc.double().map(String),
  fc.constantFrom('2147483648', '99999999999', '0', '-1', '1e3', '0x10', ' 5 ', '', '@/etc', '@/nonexistent', 'ftp://x', 'localhost:8080'),
);

/** Runs `fn`: it returns, or throws a usage error whose text, once sanitized, holds no raw control and no part of `secret`. */
function onlyUsage(fn: () => unknown, secret?: string): void {
  try {
    fn();
  } catch (err) {
    usageOnly(err, secret);
  }
}
function usageOnly(err: unknown, secret?: string): void {
  if (!isHandshakeError(err, ErrorCode.Usage)) throw err;
  const text = sanitize(`${err.message}\n${err.remedy ?? ''}`, { multiline: true });
  expect(rawControls(text)).toEqual([]);
  if (secret && secret.length >= 6) expect(text).not.toContain(secret);
}
/** {@link onlyUsage} for a flag value: parsed by oclif, refused in our words (commands/_lib/flags.ts). */
async function onlyUsageAsync(work: Promise<unknown>): Promise<void> {
  await work.catch((err) => usageOnly(err));
}
const rangeFlags = { timeout: timeoutFlag(), interval: intervalFlag(2) };

describe('every input path: a value or a usage error, never anything else', () => {
  it('flag values (--timeout, --max-bytes, --interval, --wait, -X, -H)', async () => {
    await fc.assert(
      fc.asyncProperty(userText, async (input) => {
        await onlyUsageAsync(parseFlag(rangeFlags, 'timeout', input));
        await onlyUsageAsync(parseFlag(rangeFlags, 'interval', input));
        onlyUsage(() => parseMethod(input));
        onlyUsage(() => parseHeader(input));
        onlyUsage(() => parseHeader(`X-A: ${input}`));
        onlyUsage(() => parseServerUrl(input));
      }),
      fuzzParams(400),
    );
  });

  it('environment variables: the token and the proxies never leak into the message', () => {
    fc.assert(
      fc.property(
        userText,
        fc.string({ minLength: 6 }).map((s) => `Secret${s}`),
        (input, password) => {
          onlyUsage(() => tokenFromEnv({ HANDSHAKE_TOKEN: `${password}${input}` }), `${password}${input}`);
          onlyUsage(() => normalizeProxy('HTTPS_PROXY', input));
          onlyUsage(() => normalizeProxy('HTTPS_PROXY', `http://user:${encodeURIComponent(password)}%${input}@proxy:3128`), password);
        },
      ),
      fuzzParams(300),
    );
  });

  it('file arguments', () => {
    fc.assert(
      fc.property(userText, (input) => {
        onlyUsage(() => readUserFile(input.replace(/^-$/, '--'), 'the request body file'));
      }),
      fuzzParams(200),
    );
  });
});

describe('the CLI on random flag values and variables: never exit 1, never a stack trace, never a raw control, never the secret', () => {
  it('api', async () => {
    const box = sandbox();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.record({ timeout: userText, header: userText, method: userText, data: userText, token: userText, proxy: userText }),
          async (raw) => {
            // No argv or environment value can hold a NUL: a shell cannot pass one.
            const v = Object.fromEntries(Object.entries(raw).map(([k, x]) => [k, x.replaceAll('\0', '')])) as typeof raw;
            const secret = `tok-Secret-${v.token.length}`;
            const r = await runCli(
              [
                'api',
                '/x',
                '--server',
                'http://127.0.0.1:9',
                '--timeout',
                v.timeout,
                '-H',
                `X-A: ${v.header}`,
                '-X',
                v.method,
                '-d',
                v.data,
              ],
              { env: { ...box.env, HANDSHAKE_TOKEN: `${secret}${v.token}`, HTTPS_PROXY: v.proxy, HTTP_PROXY: v.proxy } },
            );
            expect(r.code).not.toBe(1);
            expect(r.stderr).not.toMatch(/\n\s+at |TimeoutOverflowWarning|SystemError/);
            expect(rawControls(r.stderr)).toEqual([]);
            expect(r.stderr).not.toContain(secret);
          },
        ),
        fuzzParams(8),
      );
    } finally {
      box.cleanup();
    }
  }, 120_000);
});
