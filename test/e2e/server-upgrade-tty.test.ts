import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, sandbox } from '../helpers/cli.js';
import { hasTmux, type ScenarioServer, type Step, scenarioServer } from '../helpers/upgrade-server.js';

/**
 * `server upgrade` under a real terminal: tmux gives the CLI a pty of 100
 * columns, so stdin and stderr are TTYs. Checks the prompt (default No), and
 * the spinner while polling. Skipped where tmux is not installed.
 */

const box = sandbox();
// A private tmux server on a socket inside the sandbox, so nothing else's sessions are touched and nothing is left behind.
const SOCKET = join(box.dir, 'tmux.sock');
const tmux = (...args: string[]) => execFileSync('tmux', ['-S', SOCKET, ...args], { encoding: 'utf8' });
const servers: ScenarioServer[] = [];
afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // no server was started
  }
  await Promise.all(servers.map((s) => s.close()));
  box.cleanup();
});

const OLD = { server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache', deployment: 'docker-compose' };
const NEW = { server_version: '1.4.2', schema_revision: '0005_add_retention_policy', deployment: 'docker-compose' };
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Starts the CLI in a fresh 100-column tmux window; the pane shows `EXIT=<code>` when it ends. */
function start(name: string, url: string, opts: { env?: Record<string, string>; pipe?: string } = {}): void {
  const env = Object.entries({ ...box.env, TERM: 'xterm-256color', ...opts.env })
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(' ');
  const cli = `${quote(process.execPath)} ${quote(join(ROOT, 'bin', 'run.js'))} server upgrade --server ${quote(url)} --interval 0.2`;
  // With a pipe, `$?` would be the pipe's last command: PIPESTATUS[0] is the CLI's.
  const run = opts.pipe ? `${cli} | ${opts.pipe}; echo EXIT=\${PIPESTATUS[0]}` : `${cli}; echo EXIT=$?`;
  const script = `stty cols 100; env -u HANDSHAKE_SERVER -u HANDSHAKE_TOKEN -u NO_COLOR ${env} bash -c ${quote(run)}; sleep 60`;
  tmux('new-session', '-d', '-s', name, '-x', '100', '-y', '50', script);
}

const screen = (name: string) => tmux('capture-pane', '-p', '-t', name, '-S', '-200');

/** Polls the pane until `test` holds; returns every screen seen. */
async function waitFor(name: string, test: (text: string) => boolean, ms = 15_000): Promise<string[]> {
  const seen: string[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const text = screen(name);
    seen.push(text);
    if (test(text)) return seen;
    await sleep(50);
  }
  throw new Error(`timed out waiting on the terminal; last screen:\n${seen.at(-1)}`);
}

async function scenario(steps: Step[]): Promise<ScenarioServer> {
  const s = await scenarioServer(steps);
  servers.push(s);
  return s;
}

describe.skipIf(!hasTmux())('server upgrade on a terminal', () => {
  it('asks before polling; "y" starts a spinner that shows the last state; exit 0 at the target', async () => {
    const s = await scenario([{ doc: OLD, times: 15 }, { down: 400 }, { doc: NEW }]);
    start('yes', s.url);
    await waitFor('yes', (t) => t.includes('[y/N]'));
    // The prompt waits: one request (the handshake), no polling before the answer.
    await sleep(500);
    expect(s.requests).toHaveLength(1);
    tmux('send-keys', '-t', 'yes', 'y', 'Enter');
    const frames = await waitFor('yes', (t) => /EXIT=\d+/.test(t));
    const final = frames.at(-1) ?? '';
    expect(final).toContain('EXIT=0');
    // While polling, a spinner frame with the last state seen was on screen.
    expect(frames.some((f) => f.split('\n').some((l) => SPINNER.test(l) && l.includes('1.3.0')))).toBe(true);
    expect(final).toContain('0005_add_retention_policy');
    expect(s.requests.length).toBeGreaterThan(2);
  });

  it('Enter alone is No: nothing polled, exit 2', async () => {
    const s = await scenario([{ doc: OLD }]);
    start('no', s.url);
    await waitFor('no', (t) => t.includes('[y/N]'));
    tmux('send-keys', '-t', 'no', 'Enter');
    const final = (await waitFor('no', (t) => /EXIT=\d+/.test(t))).at(-1) ?? '';
    expect(final).toContain('EXIT=2');
    expect(s.requests).toHaveLength(1);
  });

  it('Ctrl-C at the prompt: exit 130, nothing polled', async () => {
    const s = await scenario([{ doc: OLD }]);
    start('intr', s.url);
    await waitFor('intr', (t) => t.includes('[y/N]'));
    tmux('send-keys', '-t', 'intr', 'C-c');
    const final = (await waitFor('intr', (t) => /EXIT=\d+/.test(t))).at(-1) ?? '';
    expect(final).toContain('EXIT=130');
    expect(s.requests).toHaveLength(1);
  });

  it('Ctrl-C while the spinner runs: exit 130, and how to check on the upgrade', async () => {
    const s = await scenario([{ doc: OLD }]);
    start('poll-intr', s.url);
    await waitFor('poll-intr', (t) => t.includes('[y/N]'));
    tmux('send-keys', '-t', 'poll-intr', 'y', 'Enter');
    await waitFor('poll-intr', (t) => t.split('\n').some((l) => SPINNER.test(l)));
    tmux('send-keys', '-t', 'poll-intr', 'C-c');
    const final = (await waitFor('poll-intr', (t) => /EXIT=\d+/.test(t))).at(-1) ?? '';
    expect(final).toContain('EXIT=130');
    expect(final).toContain('server status');
  });

  it('the spinner says what it waits for, how long it has waited and how long it will still wait', async () => {
    const s = await scenario([{ doc: OLD, times: 12 }, { doc: NEW }]);
    start('spin-time', s.url);
    await waitFor('spin-time', (t) => t.includes('[y/N]'));
    tmux('send-keys', '-t', 'spin-time', 'y', 'Enter');
    const frames = await waitFor('spin-time', (t) => /EXIT=\d+/.test(t));
    const spinning = frames.flatMap((f) => f.split('\n')).filter((l) => SPINNER.test(l));
    // The target, the time so far and the time left (two durations), on the spinner's own line.
    expect(spinning.some((l) => l.includes('1.4.2') && (l.match(/\d+ (s|min|h)\b/g) ?? []).length >= 2)).toBe(true);
    expect(frames.at(-1)).toContain('EXIT=0');
  });

  it('NO_COLOR on a terminal: no spinner, plain lines', async () => {
    const s = await scenario([{ doc: OLD, times: 8 }, { doc: NEW }]);
    start('nocolor', s.url, { env: { NO_COLOR: '1' } });
    await waitFor('nocolor', (t) => t.includes('[y/N]'));
    tmux('send-keys', '-t', 'nocolor', 'y', 'Enter');
    const frames = await waitFor('nocolor', (t) => /EXIT=\d+/.test(t));
    expect(frames.at(-1)).toContain('EXIT=0');
    expect(frames.some((f) => SPINNER.test(f))).toBe(false);
    expect(frames.at(-1)).toMatch(/Waiting for hop 1\/1/);
  });

  it('`server upgrade | tail` on a terminal: stdout is piped, yet the confirmation is asked on stderr', async () => {
    const s = await scenario([{ doc: OLD, times: 3 }, { doc: NEW }]);
    start('piped', s.url, { pipe: 'tail -n 3' });
    await waitFor('piped', (t) => t.includes('[y/N]'));
    tmux('send-keys', '-t', 'piped', 'y', 'Enter');
    const final = (await waitFor('piped', (t) => /EXIT=\d+/.test(t))).at(-1) ?? '';
    expect(final).toContain('EXIT=0');
    expect(s.requests.length).toBeGreaterThan(1);
  });
});
