import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, sandbox } from '../helpers/cli.js';
import { closeAfterAll, startServer } from '../helpers/http-server.js';
import { hasTmux } from '../helpers/upgrade-server.js';

/**
 * A server that accepts and never answers: on a terminal (tmux gives the CLI a pty), compat check says what
 * it waits for after half a second instead of a blank screen for the whole timeout; piped, it says nothing.
 * Skipped where tmux is not installed.
 */

const box = sandbox();
const SOCKET = join(box.dir, 'tmux.sock');
const tmux = (...args: string[]) => execFileSync('tmux', ['-S', SOCKET, ...args], { encoding: 'utf8' });
const serve = closeAfterAll();
afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server was started
  }
  box.cleanup();
});
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe.skipIf(!hasTmux())('a wait on a terminal says what it waits for', () => {
  it('compat check against a server that never answers: "waiting for <url>" before the verdict; nothing when piped', async () => {
    const server = await serve(startServer(() => new Promise(() => {})));
    const env = Object.entries({ ...box.env, TERM: 'xterm-256color' })
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(' ');
    const cli = `${quote(process.execPath)} ${quote(join(ROOT, 'bin', 'run.js'))} compat check --server ${quote(server.url)} --timeout 30000`;
    tmux(
      'new-session',
      '-d',
      '-s',
      'wait',
      '-x',
      '100',
      '-y',
      '20',
      `env -u HANDSHAKE_SERVER ${env} bash -c ${quote(`${cli}; echo EXIT=$?`)}; sleep 30`,
    );
    // Until it says something or ends: no clock here (a loaded machine may take seconds to start the CLI); the
    // request's own 30 s timeout and the test's bound the wait.
    let screen = '';
    while (!screen.includes('waiting for') && !screen.includes('EXIT=')) {
      await sleep(100);
      screen = tmux('capture-pane', '-p', '-t', 'wait');
    }
    // Said while the request is still pending, and naming the server.
    expect(screen).toContain(`waiting for ${server.url}`);
    expect(screen).not.toContain('EXIT=');
    const piped = await runCli(['compat', 'check', '--server', server.url, '--timeout', '1000'], { env: box.env });
    expect(piped.code).toBe(4);
    expect(piped.stderr).not.toContain('waiting for');
  });
});
