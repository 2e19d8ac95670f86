import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJson, sandboxAfterAll } from '../helpers/cli.js';
import { closeAfterAll, startServer, versionServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * The one IO (commands/_lib/io.ts) and the runner that fakes it (test/helpers/in-process.ts): a command run in
 * process reads its own environment, stdin and terminal, writes only to its own streams, and leaves the test's
 * process as it found it. Needs no build: the commands run from their sources.
 */

const serve = closeAfterAll();
const box = sandboxAfterAll();
const HEAD = '0005_add_retention_policy';

describe('commands run in process through the one IO', () => {
  it('two runs at once share no stream, environment or exit code, and the process keeps its own', async () => {
    const ok = await serve(versionServer({ server_version: '1.4.2', schema_revision: HEAD }));
    const before = process.exitCode;
    const [good, bad] = await Promise.all([
      runInProcess(['compat', 'check', '--json'], { env: { ...box().env, HANDSHAKE_SERVER: ok.url } }),
      runInProcess(['compat', 'check', '--json'], { env: { ...box().env, HANDSHAKE_SERVER: 'ftp://nope.example' } }),
    ]);
    expect(good.code, good.stderr).toBe(0);
    expect(parseJson<{ status: string; server: { url: string } }>(good).server.url).toBe(ok.url);
    expect(bad.code).toBe(2);
    expect(parseJson<{ error: { message: string } }>(bad).error.message).toMatch(/ftp:/);
    expect(process.exitCode).toBe(before);
  });

  it('stdin is the input given: server add --with-token stores it, and never prints it', async () => {
    const b = box();
    const r = await runInProcess(['server', 'add', 'prod', 'http://127.0.0.1:9', '--with-token', '--json'], {
      env: b.env,
      input: 'token-from-stdin-5e6f\n',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('token-from-stdin-5e6f');
    const file = join(b.env.XDG_CONFIG_HOME as string, 'handshake', 'config.json');
    expect(JSON.parse(readFileSync(file, 'utf8')).servers.prod.token).toBe('token-from-stdin-5e6f');
  });

  it('a terminal is what the IO says: the wait is named on a terminal, never when piped', async () => {
    // Accepts and never answers: the note comes at half a second, the verdict at the timeout (one process, one clock).
    const server = await serve(startServer(() => new Promise(() => {})));
    const args = ['compat', 'check', '--server', server.url, '--timeout', '1500'];
    const tty = await runInProcess(args, { env: box().env, isTTY: true, columns: 100 });
    expect(tty.code).toBe(4);
    expect(tty.stderr).toContain(`waiting for ${server.url}`);
    const piped = await runInProcess(args, { env: box().env });
    expect(piped.code).toBe(4);
    expect(piped.stderr).not.toContain('waiting for');
  });

  it('help, version and unknown commands are not run in process (they are oclif’s, spawned)', async () => {
    for (const argv of [['--version'], ['--help'], ['compat', 'nope'], ['nope']]) {
      await expect(runInProcess(argv)).rejects.toThrow(/runCli/);
    }
  });
});
