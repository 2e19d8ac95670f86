/**
 * `npm run demo`: the whole story, for real, on a loopback port.
 *
 * A self-hosted server (the reference server: node:http + PGlite) runs a
 * release whose database migrations never ran. The built CLI notices
 * (`compat check`, `doctor`), plans the upgrade and watches it
 * (`server upgrade`) while the demo plays the operator on the server host:
 * stop the server, migrate its database, start the new release on the same
 * port. Then everything is green, and ordinary calls stay quiet.
 *
 * Every step's exit code is checked; an unexpected one fails the demo
 * (exit 1). Servers and temporary data are cleaned up on success, failure
 * and Ctrl-C alike. No TTY needed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAllNow, runReferenceServer, type ServerProcess, spawnServe, stopAll } from '../reference-server/index.js';
import * as t from './terminal.js';

/** The checkout: `bin/run.js` is the CLI users get, `examples/reference-server/server.js` the server. */
const ROOT = [new URL('../..', import.meta.url), new URL('../../..', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((dir) => existsSync(join(dir, 'bin', 'run.js')) && existsSync(join(dir, 'package.json'))) as string;
const CLI = join(ROOT, 'bin', 'run.js');
const SERVER_JS = 'examples/reference-server/server.js';
const CLI_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The story's versions: a 1.3.0 release still on the 0003 schema, upgraded to the recommended 1.4.2. */
const OLD_REVISION = '0003_add_insight_meta_cache';
const OLD_VERSION = '1.3.0';
const NEW_VERSION = '1.4.2';
const DEPLOYMENT = 'docker-compose';

/** `handshake doctor` lands on its own branch; its steps run as soon as the command exists. */
const HAS_DOCTOR = existsSync(join(ROOT, 'commands', 'doctor.ts'));

class DemoFailure extends Error {}

const tmp = mkdtempSync(join(tmpdir(), 'handshake-demo-'));
const dataDir = join(tmp, 'server');
const cliChildren = new Set<ChildProcess>();
let stopping = false;
let cleaned: Promise<void> | null = null;

/** The CLI's environment: this machine's, minus anything that would change handshake's behaviour, plus a private cache and config. */
function cliEnv(server: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // A user's token, server or matrix must not leak in; the demo is loopback only, so no proxy either.
    if (/^(HANDSHAKE_|REFERENCE_SERVER_|NO_COLOR$|FORCE_COLOR$|(https?|all|no)_proxy$|DEBUG$)/i.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    HANDSHAKE_SERVER: server,
    HANDSHAKE_CACHE_DIR: join(tmp, 'cache', 'handshake'),
    XDG_CACHE_HOME: join(tmp, 'cache'),
    XDG_CONFIG_HOME: join(tmp, 'config'),
  };
}

/** The reference server's environment: no token, so the API is open as in the README. */
function serverEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.REFERENCE_SERVER_TOKEN;
  delete env.REFERENCE_SERVER_DEBUG;
  return env;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`node bin/run.js ARGS`) without a TTY, its output streamed into the gutter as it comes. */
function handshake(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  on: { stdout?: (line: string) => void; stderr?: (line: string) => void } = {},
): Promise<Ran> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  cliChildren.add(child);
  let stdout = '';
  let stderr = '';
  relay(child, {
    stdout: (line) => {
      stdout += `${line}\n`;
      if (!stopping) t.output(line);
      on.stdout?.(line);
    },
    stderr: (line) => {
      stderr += `${line}\n`;
      if (!stopping) t.output(line);
      on.stderr?.(line);
    },
  });
  // Bounded: nothing in this demo should take a minute and a half.
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) => {
    child.once('error', (err) => {
      stderr += String(err);
      resolve({ code: null, stdout, stderr });
    });
    child.once('close', (code) => {
      clearTimeout(killer);
      cliChildren.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Calls back line by line, keeping the order in which the two streams were
 * written: a line left unfinished on one stream (`api` prints the body with
 * no newline, then its warning on stderr) is shown before anything newer on
 * the other.
 */
function relay(child: ChildProcess, each: { stdout: (line: string) => void; stderr: (line: string) => void }): void {
  const pending = { stdout: '', stderr: '' };
  const flush = (name: 'stdout' | 'stderr') => {
    if (pending[name]) each[name](pending[name]);
    pending[name] = '';
  };
  for (const name of ['stdout', 'stderr'] as const) {
    const other = name === 'stdout' ? 'stderr' : 'stdout';
    const stream = child[name];
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      flush(other);
      const parts = (pending[name] + chunk).split('\n');
      pending[name] = parts.pop() ?? '';
      for (const line of parts) each[name](line);
    });
    stream?.on('end', () => flush(name));
  }
}

/** Fails the demo unless `what` exited with `expected`. */
function expectExit(what: string, code: number | null, expected: number, meaning: string): void {
  if (code !== expected) {
    throw new DemoFailure(`\`${what}\` exited with ${code ?? 'a signal'}, expected ${expected} (${meaning}).`);
  }
  t.ok(`exit ${code}: ${meaning}, as expected`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function timeout<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, ms, value).unref());
}

/** `node examples/reference-server/server.js serve …`, as an operator runs it; resolves once it listens. */
async function serve(args: readonly string[], who?: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  t.command(['node', SERVER_JS, 'serve', ...args], who);
  try {
    const server = await spawnServe(args, { env: { ...serverEnv(), ...extraEnv }, readyTimeoutMs: 60_000 });
    t.output(JSON.stringify(server.line), 'operator');
    return server;
  } catch (err) {
    throw new DemoFailure(`the reference server did not start: ${(err as Error).message}`);
  }
}

async function run(): Promise<void> {
  const started = performance.now();
  const total = HAS_DOCTOR ? 8 : 6;
  let n = 0;
  const next = (title: string) => t.step(++n, total, title);

  t.blank();
  t.say('handshake demo: a self-hosted server and a freshly upgraded CLI drift apart, and get back together.', t.bold);
  t.say(
    `Everything runs for real on 127.0.0.1: the reference server (node:http + PGlite, a real Postgres) and this ` +
      `checkout's built CLI ("handshake" below is node bin/run.js, version ${CLI_VERSION}). Lines in the │ gutter are ` +
      `handshake's real output (stdout and stderr), lines in the ┊ gutter the server side's; "operator:" lines are what ` +
      `the operator types on the server host; everything else is the demo talking.`,
    t.dim,
  );
  if (!HAS_DOCTOR) t.say('(handshake doctor is not in this build yet: its two steps are skipped.)', t.dim);

  // 1. The server, behind.
  next('A self-hosted server whose database migrations never ran');
  t.say(
    `The operator installed server release ${OLD_VERSION}, but its migrations never ran: the database schema is still at ` +
      `${OLD_REVISION}. Creating the database takes a few seconds (PGlite runs initdb).`,
  );
  const serveStarted = performance.now();
  let server = await serve(['--data', dataDir, '--port', '0', '--at', OLD_REVISION, '--version', OLD_VERSION, '--deployment', DEPLOYMENT]);
  const url = server.url;
  t.ok(`listening on ${url}, ready in ${seconds(performance.now() - serveStarted)}`);
  t.say('Every handshake command below talks to it:');
  t.command(['export', `HANDSHAKE_SERVER=${url}`]);
  const env = cliEnv(url);

  // 2. The CLI notices: on an ordinary call, then as the CI gate.
  next('A user upgrades the CLI with npm i -g, and it notices at once');
  t.say(
    "An ordinary call first. Every response carries the server's schema revision in a header, which handshake checks: " +
      'the body still goes to stdout, the warning to stderr, and the exit code says the server is incompatible.',
  );
  t.command(['handshake', 'api', '/api/v1/projects']);
  const warned = await handshake(['api', '/api/v1/projects'], env);
  expectExit('handshake api /api/v1/projects', warned.code, 3, 'the passive check found the server incompatible');
  if (warned.stdout.trim() === '' || warned.stderr.trim() === '') {
    throw new DemoFailure('`handshake api` should print the body on stdout and a warning on stderr; one of them was empty.');
  }
  t.say('The CI gate: one request to the version endpoint, one verdict, the exact fix, the exit code.');
  t.command(['handshake', 'compat', 'check']);
  expectExit('handshake compat check', (await handshake(['compat', 'check'], env)).code, 3, 'incompatible, the schema is behind');

  // 3. doctor, red.
  if (HAS_DOCTOR) {
    next('handshake doctor: the CLI, the network and the server health in one screen');
    t.say('What a user pastes into a support ticket (tokens, credentials and the home directory are redacted).');
    t.command(['handshake', 'doctor']);
    expectExit('handshake doctor', (await handshake(['doctor'], env)).code, 3, 'a check failed');
  }

  // 4. The upgrade, with the demo as the operator.
  next('handshake server upgrade: print the plan, then watch the server until it is done');
  t.say(
    `handshake runs nothing on the server: it prints the commands for the server's deployment (${DEPLOYMENT}), then polls ` +
      `its version endpoint. Meanwhile the demo plays the operator on the server host: stop the server (its port refuses ` +
      `connections while it is down), migrate the database (a backup first), start release ${NEW_VERSION} on the same port.`,
  );
  const upgradeArgs = ['server', 'upgrade', '--yes', '--interval', '0.5', '--wait', '60'];
  t.command(['handshake', ...upgradeArgs]);
  let planOut = false;
  let progress = 0;
  let onPlanned = () => {};
  const planned = new Promise<'planned'>((resolve) => {
    onPlanned = () => resolve('planned');
  });
  // The plan goes to stdout, then progress to stderr: a line saying what it waits for, then what each look saw.
  // The operator starts once the first look is on screen (or 5 s after the plan, whatever it prints).
  const upgrade = handshake(upgradeArgs, env, {
    stdout: () => {
      planOut = true;
    },
    stderr: () => {
      if (!planOut) return;
      progress += 1;
      if (progress === 1) setTimeout(onPlanned, 5000).unref();
      if (progress >= 2) onPlanned();
    },
  });
  const first = await Promise.race([planned, upgrade.then(() => 'exited' as const), timeout(30_000, 'silent' as const)]);
  if (first !== 'planned') {
    const { code } = await Promise.race([upgrade, timeout(0, { code: null })]);
    throw new DemoFailure(
      first === 'exited'
        ? `\`handshake server upgrade\` exited with ${code} before it started to poll (expected it to print the plan and wait).`
        : '`handshake server upgrade` printed no plan within 30 s.',
    );
  }

  t.command(['kill', '-TERM', String(server.line.pid)], 'operator');
  const stopped = await server.stop();
  if (stopped !== 0) throw new DemoFailure(`the reference server exited with ${stopped} on SIGTERM, expected 0.`);

  const migrateArgs = ['migrate', '--data', dataDir];
  t.command(['node', SERVER_JS, ...migrateArgs], 'operator');
  const migrated = await runReferenceServer(migrateArgs, { env: serverEnv(), onStderr: (line) => t.output(line, 'operator') });
  if (migrated.code !== 0) {
    throw new DemoFailure(`\`reference-server migrate\` exited with ${migrated.code}, expected 0:\n${migrated.stdout}${migrated.stderr}`);
  }

  server = await serve(
    ['--data', dataDir, '--port', String(server.port), '--version', NEW_VERSION, '--deployment', DEPLOYMENT],
    'operator',
  );
  if (server.url !== url) throw new DemoFailure(`the server restarted on ${server.url}, not on ${url}.`);

  expectExit('handshake server upgrade', (await upgrade).code, 0, 'upgraded, the poll saw the new release on the new schema');

  // 5. doctor, green.
  if (HAS_DOCTOR) {
    next('handshake doctor again');
    t.say('The schema is current, nothing is pending, the verdict is compatible: every check passes or does not apply.');
    t.command(['handshake', 'doctor']);
    expectExit('handshake doctor', (await handshake(['doctor'], env)).code, 0, 'no check failed');
  }

  // 6. The check on every call, quiet.
  next('The same ordinary call, now quiet');
  t.say('The body on stdout, nothing on stderr, exit 0: while all is well, the check on every call costs nothing and says nothing.');
  t.command(['handshake', 'api', '/api/v1/projects']);
  const api = await handshake(['api', '/api/v1/projects'], env);
  expectExit('handshake api /api/v1/projects', api.code, 0, 'a 2xx answer from a compatible server');
  if (api.stderr.trim() !== '') throw new DemoFailure(`the passive check warned on a compatible server:\n${api.stderr}`);
  t.ok('nothing on stderr: no warning');

  // 7. A feature one command needs: available on this release, then switched off by the operator.
  next('A feature one command needs: retention, from release 1.4.0, which an operator can switch off');
  t.say(
    "compat.json's features: retention needs server 1.4.0, schema 0005_add_retention_policy and capabilities.retention " +
      'not false. A command that declares it is stopped before it sends anything on a server without it; --feature ' +
      'gates CI on it.',
  );
  // The CI gate on the feature, shown and run the same way before and after the operator's switch.
  const checkRetention = async (expected: number, meaning: string) => {
    const argv = ['compat', 'check', '--feature', 'retention'];
    t.command(['handshake', ...argv]);
    expectExit(`handshake ${argv.join(' ')}`, (await handshake(argv, env)).code, expected, meaning);
  };
  await checkRetention(0, 'the feature is available');
  t.say('The operator switches retention off and restarts the server: no upgrade brings it back, and the fix says so.');
  t.command(['kill', '-TERM', String(server.line.pid)], 'operator');
  const restarted = await server.stop();
  if (restarted !== 0) throw new DemoFailure(`the reference server exited with ${restarted} on SIGTERM, expected 0.`);
  server = await serve(
    [
      '--data',
      dataDir,
      '--port',
      String(server.port),
      '--version',
      NEW_VERSION,
      '--deployment',
      DEPLOYMENT,
      '--disable-feature',
      'retention',
    ],
    'operator',
  );
  await checkRetention(3, 'feature_unavailable: switched off on this server');

  t.say('Stopping the server…', t.dim);
  const last = await server.stop();
  if (last !== 0) throw new DemoFailure(`the reference server exited with ${last} on SIGTERM, expected 0.`);

  // 8. v2: the server applies its own release's migrations, on an admin's request.
  next("A new image pulled, its migrations pending: the server applies them itself, on an admin's request");
  await selfMigrating(env);

  // The end.
  t.blank();
  t.say('Removing the temporary data…', t.dim);
  t.blank();
  t.say(`Done in ${seconds(performance.now() - started)}: every step gave the exit code it should.`, t.bold);
  t.say(
    'Next: README.md (commands, exit codes, upgrading the server, the compat matrix) and examples/reference-server/README.md ' +
      'to run the reference server yourself.',
  );
}

/**
 * The design's v2 scene: an operator pulled release 1.4.2, but the database is still at 1.3.0's head, so
 * the release's own migration (0005) is pending. The server was started with an admin token
 * (`--admin-token-env`), so it advertises `capabilities.migrate`; with HANDSHAKE_ADMIN_TOKEN set,
 * `server upgrade --yes` plans "the server backs up and applies 1 migration", asks it to, and watches
 * its progress. No command to run on the server host.
 */
async function selfMigrating(baseEnv: NodeJS.ProcessEnv): Promise<void> {
  const admin = `demo-admin-${process.pid}-${Date.now().toString(36)}`;
  const dir = join(tmp, 'server-v2');
  t.say(
    `Release ${NEW_VERSION} on a database still at 0004_split_events_table (${OLD_VERSION}'s head): its own migration ` +
      '0005 is pending. The operator started it with an admin token in REF_ADMIN_TOKEN, which lets an administrator ' +
      "ask the server to back up and apply the running release's own pending migrations, and nothing else.",
  );
  const args = ['--data', dir, '--port', '0', '--at', '0004_split_events_table', '--version', NEW_VERSION];
  const server = await serve([...args, '--deployment', DEPLOYMENT, '--admin-token-env', 'REF_ADMIN_TOKEN'], undefined, {
    REF_ADMIN_TOKEN: admin,
    REFERENCE_SERVER_MIGRATION_DELAY_MS: '600',
  });
  const env = { ...baseEnv, HANDSHAKE_SERVER: server.url, HANDSHAKE_ADMIN_TOKEN: admin };
  t.command(['read', '-rs', 'HANDSHAKE_ADMIN_TOKEN']);
  t.command(['export', 'HANDSHAKE_ADMIN_TOKEN']);
  const upgradeArgs = ['server', 'upgrade', '--yes', '--server', server.url, '--interval', '0.3', '--wait', '60'];
  t.command(['handshake', ...upgradeArgs]);
  expectExit('handshake server upgrade', (await handshake(upgradeArgs, env)).code, 0, 'the server migrated itself; the poll saw it done');
  t.command(['handshake', 'compat', 'check', '--server', server.url]);
  expectExit('handshake compat check', (await handshake(['compat', 'check', '--server', server.url], env)).code, 0, 'compatible');
  const stopped = await server.stop();
  if (stopped !== 0) throw new DemoFailure(`the reference server exited with ${stopped} on SIGTERM, expected 0.`);
}

/** Stops whatever is still running and removes the temporary directory. Idempotent. */
function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    for (const child of cliChildren) child.kill('SIGTERM');
    await stopAll(3000);
    for (const child of cliChildren) child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  })();
  return cleaned;
}

/** Ctrl-C, SIGTERM, or a reader gone (`npm run demo | head`): clean up, then exit with `code`. */
function interrupt(code: number, why: string | null): void {
  if (stopping) {
    // A second Ctrl-C: no more waiting.
    killAllNow();
    for (const child of cliChildren) child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
    process.exit(code);
  }
  stopping = true;
  if (why) process.stderr.write(`\n▶ ${why}: stopping the server and removing the temporary data…\n`);
  void cleanup().finally(() => process.exit(code));
}

process.on('SIGINT', () => interrupt(130, 'interrupted'));
process.on('SIGTERM', () => interrupt(143, 'terminated'));
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') interrupt(141, null);
  else throw err;
});
// Last resort if something exits the process without going through cleanup.
process.on('exit', () => {
  killAllNow();
  for (const child of cliChildren) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

export async function main(): Promise<number> {
  try {
    await run();
    await cleanup();
    return 0;
  } catch (err) {
    if (stopping) return new Promise(() => {}); // the signal handler exits
    t.fail(err instanceof DemoFailure ? err.message : `unexpected error: ${(err as Error).stack ?? String(err)}`);
    await cleanup();
    return 1;
  }
}
