import { parseArgs } from 'node:util';
import semver from 'semver';
import { HandshakeServerError } from '../../src/server/index.js';
import { SWITCHABLE_FEATURES, startServer } from './app.js';
import { messageOf, ReferenceServerError } from './errors.js';
import { migrate } from './migrate.js';

/** Where the CLI writes: stdout gets machine-readable JSON lines only, stderr everything for humans. */
export interface Io {
  stdout(line: string): void;
  stderr(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGTERM, SIGINT). */
  stopSignal(): Promise<string>;
}

const USAGE = `Usage:
  reference-server serve   --data DIR [--port N] [--host ADDR] [--at REVISION] [--version X.Y.Z]
                           [--deployment KIND] [--min-cli-version V] [--max-cli-version V]
                           [--recommended-cli-version V] [--migrations DIR] [--token-env NAME]
                           [--admin-token-env NAME] [--backup-dir DIR] [--disable-feature NAME] [--quiet]
  reference-server migrate --data DIR [--to REVISION] [--version X.Y.Z] [--migrations DIR]

serve prints one JSON line on stdout once listening: {"url": ..., "pid": ..., ...}.
migrate backs the data directory up first and prints one JSON line with the outcome.
Auth: set REFERENCE_SERVER_TOKEN (or name another variable with --token-env) to require a bearer token.
Admin: --admin-token-env NAME enables POST /api/v1/admin/migrations (apply this release's pending
migrations, backup first) for the token in that variable; off without it.`;

const SERVE_OPTIONS = {
  data: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  at: { type: 'string' },
  version: { type: 'string' },
  deployment: { type: 'string' },
  'min-cli-version': { type: 'string' },
  'max-cli-version': { type: 'string' },
  'recommended-cli-version': { type: 'string' },
  migrations: { type: 'string' },
  'token-env': { type: 'string' },
  'admin-token-env': { type: 'string' },
  'backup-dir': { type: 'string' },
  'disable-feature': { type: 'string', multiple: true },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const MIGRATE_OPTIONS = {
  data: { type: 'string' },
  to: { type: 'string' },
  version: { type: 'string' },
  migrations: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usage(message: string, remedy = 'Run reference-server --help'): ReferenceServerError {
  return new ReferenceServerError(message, remedy, { exitCode: 2 });
}

/** Runs one command; resolves with the process exit code. Never throws. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      // Asked for, help is the output (stdout, so `| less` works); a missing command is a usage error (stderr).
      if (command === undefined) io.stderr(USAGE);
      else io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'serve') return await serve(rest, io);
    if (command === 'migrate') return await runMigrate(rest, io);
    throw usage(`Unknown command "${command}"`, 'Use serve or migrate (reference-server --help)');
  } catch (err) {
    if (err instanceof ReferenceServerError || err instanceof HandshakeServerError) {
      io.stderr(`reference-server: ${err.message}\n  fix: ${err.remedy}`);
      return err instanceof ReferenceServerError ? err.exitCode : 2;
    }
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`reference-server: ${messageOf(err)}\n  fix: run reference-server --help`);
      return 2;
    }
    io.stderr(`reference-server: unexpected error: ${messageOf(err)}`);
    if (io.env['REFERENCE_SERVER_DEBUG']) io.stderr(String((err as Error).stack));
    return 1;
  }
}

async function serve(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: SERVE_OPTIONS, strict: true, allowPositionals: false });
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const data = required(values.data, '--data DIR');
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usage(`--port must be a port number 0-65535, not "${values.port}"`);
  if (values.version !== undefined && values.version !== 'dev' && !semver.valid(values.version)) {
    throw usage(`--version must be a semver version such as 1.4.0 (or "dev"), not "${values.version}"`);
  }
  for (const flag of ['min-cli-version', 'max-cli-version', 'recommended-cli-version'] as const) {
    const v = values[flag];
    if (v !== undefined && !semver.valid(v)) throw usage(`--${flag} must be a semver version such as 0.9.0, not "${v}"`);
  }
  if (values.deployment !== undefined && !/^[a-z0-9][a-z0-9._-]{0,31}$/.test(values.deployment)) {
    throw usage(`--deployment must be one lower-case word such as docker-compose, helm, rpm or deb`);
  }
  const token =
    values['token-env'] !== undefined ? tokenFrom(io.env, '--token-env', values['token-env']) : io.env['REFERENCE_SERVER_TOKEN'] || null;
  const adminToken = values['admin-token-env'] !== undefined ? adminTokenFrom(io.env, values['admin-token-env']) : null;
  if (adminToken !== null && adminToken === token) {
    throw usage('The admin token is the same as the API token', 'Give --admin-token-env a variable holding a credential of its own');
  }

  const disabled = values['disable-feature'] ?? [];
  for (const name of disabled) {
    if (!(SWITCHABLE_FEATURES as readonly string[]).includes(name)) {
      throw usage(`--disable-feature ${name}: no such feature; it can switch off ${SWITCHABLE_FEATURES.join(', ')}`);
    }
  }
  const log = values.quiet ? () => {} : (line: string) => io.stderr(`reference-server: ${line}`);
  const server = await startServer({
    disabledFeatures: disabled,
    dataDir: data,
    port,
    host: values.host,
    at: values.at ?? null,
    migrationsDir: values.migrations,
    version: values.version ?? null,
    deployment: values.deployment ?? null,
    minCliVersion: values['min-cli-version'] ?? null,
    maxCliVersion: values['max-cli-version'] ?? null,
    recommendedCliVersion: values['recommended-cli-version'] ?? null,
    token,
    adminToken,
    backupDir: values['backup-dir'] ?? null,
    migrationDelayMs: delayFrom(io.env),
    log,
  });
  io.stdout(
    JSON.stringify({ url: server.url, pid: process.pid, server_version: server.serverVersion, schema_revision: server.schemaRevision }),
  );
  log(`listening on ${server.url}${token ? ' (bearer token required)' : ''}`);
  if (adminToken) log(`admin migration endpoint on: POST ${server.handshake.migrations?.path} (admin token required)`);
  const signal = await io.stopSignal();
  log(`${signal}: stopping`);
  await server.close();
  log('stopped');
  return 0;
}

async function runMigrate(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: MIGRATE_OPTIONS, strict: true, allowPositionals: false });
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const data = required(values.data, '--data DIR');
  const result = await migrate({
    dataDir: data,
    to: values.to ?? null,
    version: versionFlag(values.version),
    migrationsDir: values.migrations,
    log: (line) => io.stderr(`reference-server: ${line}`),
  });
  io.stdout(JSON.stringify(result));
  if (result.status === 'failed') {
    io.stderr(
      `reference-server: migration ${result.failed?.revision} failed; the database was rolled back to ${result.revision ?? 'no revision'}` +
        (result.backup ? `\n  the copy taken before this run is ${result.backup}\n  to restore it: ${result.restore}` : '') +
        '\n  fix the migration, then run migrate again',
    );
    return 3;
  }
  io.stderr(
    result.status === 'up_to_date'
      ? `reference-server: already at ${result.revision}`
      : `reference-server: migrated ${result.from ?? 'a new database'} → ${result.revision}${result.backup ? ` (backup: ${result.backup})` : ''}`,
  );
  return 0;
}

function versionFlag(v: string | undefined): string | null {
  if (v !== undefined && v !== 'dev' && semver.valid(v) !== v)
    throw usage(`--version must be a semver version such as 1.4.0 (or "dev"), not "${v}"`);
  return v ?? null;
}

/** A secret from the environment variable a flag names; never from argv. */
function tokenFrom(env: NodeJS.ProcessEnv, flag: string, name: string): string {
  const value = env[name];
  if (!value) throw usage(`${flag} names ${name}, which is not set`, `Export ${name}=<token> first`);
  return value;
}

/** The admin token: a credential that can change the schema, so at least 16 visible characters. */
function adminTokenFrom(env: NodeJS.ProcessEnv, name: string): string {
  const value = tokenFrom(env, '--admin-token-env', name);
  if (!/^[\x21-\x7e]{16,4096}$/.test(value)) {
    throw usage(
      `--admin-token-env: ${name} must hold 16 to 4096 visible ASCII characters, no spaces`,
      `Export ${name}="$(openssl rand -hex 32)"`,
    );
  }
  return value;
}

/** REFERENCE_SERVER_MIGRATION_DELAY_MS: a test-only pause inside each admin-run migration, so a test can kill the server mid-migration. */
function delayFrom(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env['REFERENCE_SERVER_MIGRATION_DELAY_MS'];
  if (!raw) return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0 || ms > 600_000) throw usage(`REFERENCE_SERVER_MIGRATION_DELAY_MS must be 0-600000, not "${raw}"`);
  return ms;
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw usage(`${flag} is required`);
  return value;
}
