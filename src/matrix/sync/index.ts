import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import semver from 'semver';
import { MatrixError } from '../../errors.js';
import { type FlagArg, type Hint, hint } from '../../hint.js';
import { detectFormat, readMigrations } from './formats/index.js';
import { orderMigrations } from './order.js';
import { buildChain, diffChain, parseRawMatrix, rewriteMatrixText } from './rewrite.js';
import { SyncError, type SyncFormat } from './types.js';

export { detectFormat, FORMATS, READERS } from './formats/index.js';
export { type ChainNode, compareKeys, orderMigrations } from './order.js';
export { logicalLines, type PyAssignment, type PyValue, readPython } from './python.js';
export { detectIndent } from './rewrite.js';
export { isRevisionId, type Migration, SYNC_FORMATS, SyncError, type SyncFormat, type SyncProblem } from './types.js';

export interface SyncOptions {
  /** The migrations directory. */
  dir: string;
  /** The tool; detected from the directory when absent. */
  format?: SyncFormat;
  /** The matrix file to check or rewrite. */
  matrixFile: string;
  /** Only compare: never write. */
  check?: boolean;
  /**
   * The server release new revisions arrive in (and revisions the matrix has in no release yet). Without
   * it they get `server_version: null`: in no released server yet.
   */
  release?: string;
}

/** The result of one sync; `chain`…`changed` are the `--json` document of docs/compat-sync.md. */
export interface SyncResult {
  file: string;
  format: SyncFormat;
  chain: { revision: string; parents: string[] }[];
  added: string[];
  removed: string[];
  changed: boolean;
  /** Revisions in both whose relative order changed. */
  reordered: string[];
  /** Revisions in both that now follow other revisions. */
  parentsChanged: string[];
  /** Revisions the chain has (or, with `check`, would have) in no released server: `server_version` null. */
  unreleased: string[];
  /** Known revisions that were in no release and now get `release`. */
  released: string[];
  /**
   * The command that writes the chain (for a `check` that found a difference), and the one that sets the
   * release of `unreleased` revisions: `--release` the newest release in the chain bumped by a patch, the
   * smallest release that can ship them, unless a release was given.
   */
  remedy: Hint | null;
  releaseHint: Hint | null;
  /** Whether the matrix file was rewritten. */
  written: boolean;
  dir: string;
}

/**
 * Reads the migrations of `dir` in their tool's order and compares them with the matrix's
 * `schema_chain`; unless `check`, rewrites the matrix so its chain is that order. Only the
 * `schema_chain` value of the file changes: every other byte stays, and every known revision keeps
 * its fields. Nothing is written when the chain already matches.
 */
export function syncMatrix(options: SyncOptions): SyncResult {
  const format = options.format ?? detectFormat(options.dir);
  const migrations = readMigrations(options.dir, format, options.format !== undefined);
  if (migrations.length === 0) {
    throw new SyncError('no_migrations', `No ${format} migrations in ${options.dir}`, {
      file: options.dir,
      remedy: 'Give the directory that holds the migration files, or name the tool that wrote them',
    });
  }
  const file = options.matrixFile;
  const raw = parseRawMatrix(readMatrixText(file), file);
  const next = orderMigrations(
    migrations,
    raw.chain.map((e) => String(e['revision'])),
  );
  const diff = diffChain(raw.chain, next);
  const release = options.release ?? null;
  const byId = new Map(raw.chain.map((e) => [String(e['revision']), e]));
  const released = release === null ? [] : next.filter((n) => byId.get(n.revision)?.['server_version'] === null).map((n) => n.revision);
  const unreleased =
    release !== null
      ? []
      : next
          .filter((n) => {
            const known = byId.get(n.revision);
            return known ? known['server_version'] === null : true;
          })
          .map((n) => n.revision);
  const command = (version: string | null): Hint => {
    const args: FlagArg[] = [{ flag: 'compat', value: file }];
    if (options.format) args.push({ flag: 'format', value: options.format });
    if (version !== null) args.push({ flag: 'release', value: version });
    return hint.run(['compat', 'sync', options.dir], { args });
  };
  const nextRelease = release ?? nextReleaseOf(raw.chain);
  const result: SyncResult = {
    file,
    format,
    chain: next.map((n) => ({ revision: n.revision, parents: n.parents })),
    ...diff,
    unreleased,
    released,
    remedy: options.check && diff.changed ? command(nextRelease) : null,
    releaseHint:
      unreleased.length > 0
        ? nextRelease === null
          ? hint.flag('release', undefined, 'When they ship, sync again with {flag} and the release that ships them')
          : hint.steps(
              hint.text('When they ship, set their release (here the smallest that can ship them; name yours):'),
              command(nextRelease),
            )
        : null,
    written: false,
    dir: options.dir,
  };
  if (options.check || (!diff.changed && released.length === 0)) return result;
  checkReferences(raw, new Set(next.map((n) => n.revision)), file, options.dir);
  writeAtomically(file, rewriteMatrixText(raw, buildChain(raw.chain, next, release)));
  result.written = true;
  return result;
}

/** The release after the newest the chain names (a patch: any later release ships what it ships), or null. */
function nextReleaseOf(chain: readonly Record<string, unknown>[]): string | null {
  let newest: string | null = null;
  for (const e of chain) {
    const v = e['server_version'];
    if (typeof v === 'string' && semver.valid(v) === v && (newest === null || semver.gt(v, newest))) newest = v;
  }
  return newest === null ? null : semver.inc(newest, semver.prerelease(newest) ? 'prerelease' : 'patch');
}

function readMatrixText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = `cannot read: ${code === 'ENOENT' ? 'file not found' : (code ?? (err as Error).message)}`;
    throw new MatrixError(file, [{ path: '', message }], { remedy: 'Give the path of the compat matrix to sync', cause: err });
  }
}

/** Sync never edits the other fields, so it refuses a chain that would drop a revision one of them names. */
function checkReferences(raw: ReturnType<typeof parseRawMatrix>, ids: ReadonlySet<string>, file: string, dir: string): void {
  const baseline = raw.doc['baseline'];
  const refs: [string, unknown][] = [
    ['min_schema_revision', raw.doc['min_schema_revision']],
    ['max_schema_revision', raw.doc['max_schema_revision']],
    ['baseline.revision', baseline && typeof baseline === 'object' ? (baseline as Record<string, unknown>)['revision'] : undefined],
  ];
  for (const [field, value] of refs) {
    if (typeof value === 'string' && !ids.has(value)) {
      throw new SyncError('matrix', `${file}: ${field} is ${value}, which is not among the migrations in ${dir}`, {
        file,
        remedy: `Set ${field} to one of the migrations' revisions first, then sync again`,
      });
    }
  }
}

/** Temp file and rename: a reader never sees half a matrix; a failure changes nothing and leaves no temp file. */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new SyncError('matrix', `cannot write ${file} (${why}): nothing was changed`, {
      file,
      remedy: `Check that ${file} and its directory are writable`,
    });
  }
}
