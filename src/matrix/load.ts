import { readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import type { z } from 'zod';
import { MatrixError, type MatrixIssue } from '../errors.js';
import { MAX_USER_FILE_BYTES, readRegularFile } from '../input/index.js';
import { packageRoot } from '../package-root.js';
import { pluralWord } from '../text.js';
import { getMatrixSchema, type MatrixDocument, type MatrixInput } from './schema.js';
import { comparableVersion } from './versions.js';

/** Where a revision stands relative to the matrix's chain and `min_schema_revision`. */
export type RevisionPlacement = { known: true; index: number; relation: 'before' | 'at' | 'after'; distance: number } | { known: false };

/** A validated matrix with the indexes the checks need, built once at load. */
export interface Matrix {
  readonly doc: MatrixDocument;
  /** `bundled`, or the path of the `--compat` file. */
  readonly source: string;
  /** Where `revision` stands: O(1) after load. `distance` is how many revisions from `min_schema_revision`. */
  placeRevision(revision: string): RevisionPlacement;
  /** The position of `revision` in the chain, or -1. */
  revisionIndex(revision: string): number;
  /** The release that introduced the revision at `index` (its own `server_version`, else the one before it's), or null. */
  releaseOf(index: number): string | null;
  /**
   * Whether the revision at `index` is in no released server yet: its `server_version` is null (what
   * `compat sync` writes without a release), or it inherits that from the entry before it. No server
   * release includes it, so it is never pending of a server's own release.
   */
  unreleased(index: number): boolean;
  /**
   * The last chain position the server release `version` includes: -1 when the release predates every
   * revision that names one, null when the chain names no releases at all (a matrix of the first release).
   */
  releaseHead(version: string): number | null;
  /** A reported server version as it compares: semver, a declared flavour dropped (`16.11.10-ee` → `16.11.10`); null when not semver. */
  serverVersion(reported: string): string | null;
}

export const BUNDLED = 'bundled';

/** A matrix in words: "the bundled compat matrix" (the one the CLI ships), else "the compat matrix <its file>". */
export function matrixName(matrix: Pick<Matrix, 'source'>): string {
  return matrix.source === BUNDLED ? 'the bundled compat matrix' : `the compat matrix ${matrix.source}`;
}

/** A matrix file that could not be read: `missing` when there is no such file. */
export class MatrixReadError extends MatrixError {
  readonly missing: boolean;
  constructor(file: string, reason: string, missing: boolean) {
    super(file, [{ path: '', message: `cannot read: ${reason}` }], { remedy: `Check the path ${file}` });
    this.missing = missing;
  }
}

/**
 * Where the build (`scripts/compat-cache.js`) stores the bundled `compat.json` it validated: the file's exact text
 * and {@link parseMatrix}'s output for it. Relative to the package root.
 */
export const VALIDATED_BUNDLED_MATRIX = join('dist', 'compat.validated.json');

/**
 * The bundled `compat.json`'s document as the build validated it, when `text` is exactly the text it validated;
 * else null (validate it now). Only a build (dist/) uses it: run from src, the schema may have changed since.
 */
function validatedAtBuild(text: string): MatrixDocument | null {
  const root = packageRoot();
  if (!fileURLToPath(import.meta.url).startsWith(join(root, 'dist') + sep)) return null;
  let stored: { text?: unknown; doc?: MatrixDocument };
  try {
    stored = JSON.parse(readFileSync(join(root, VALIDATED_BUNDLED_MATRIX), 'utf8'));
  } catch {
    return null;
  }
  return stored.text === text && stored.doc !== undefined ? stored.doc : null;
}

/** Builds a {@link Matrix} from an already validated document. */
export function createMatrix(doc: MatrixDocument, source: string): Matrix {
  const index = new Map<string, number>();
  for (const [i, r] of doc.schema_chain.entries()) index.set(r.revision, i);
  const minIndex = index.get(doc.min_schema_revision) ?? 0;
  const releases = chainReleases(doc);
  return {
    doc,
    source,
    revisionIndex: (revision) => index.get(revision) ?? -1,
    releaseOf: (i) => releases.of[i] ?? null,
    unreleased: (i) => releases.unreleased[i] === true,
    releaseHead: (version) => (releases.named ? releases.head(version) : null),
    serverVersion: (reported) => comparableVersion(reported, doc.version_flavors),
    placeRevision(revision) {
      const i = index.get(revision);
      if (i === undefined) return { known: false };
      const relation = i < minIndex ? 'before' : i === minIndex ? 'at' : 'after';
      return { known: true, index: i, relation, distance: i - minIndex };
    },
  };
}

/**
 * Each chain entry's release (inherited from the entry before it when not named) and, for a server
 * release, the last position it includes. Releases along the chain are expected to rise; where a
 * vendor's do not (a backport), the head is the last entry whose release is at or below the version.
 */
function chainReleases(doc: MatrixDocument) {
  const of: (string | null)[] = [];
  const unreleased: boolean[] = [];
  let current: string | null = null;
  let none = false;
  for (const entry of doc.schema_chain) {
    // null: in no released server yet (and so is what follows without a release of its own); absent: the entry before's.
    if (entry.server_version === null) none = true;
    else if (entry.server_version !== undefined) none = false;
    current = entry.server_version ?? current;
    of.push(none ? null : current);
    unreleased.push(none);
  }
  const named = of.some((r) => r !== null);
  const head = (version: string): number => {
    let last = -1;
    for (let i = 0; i < of.length; i++) {
      const r = of[i];
      if (unreleased[i]) continue;
      if (r === null || r === undefined || semver.lte(r, version)) last = i;
    }
    // Entries before the first named release belong to every release: only count them when a named one is included.
    return last >= 0 && of.slice(0, last + 1).some((r) => r !== null) ? last : -1;
  };
  return { of, unreleased, named, head };
}

/** Validates a parsed JSON value as a matrix. Throws {@link MatrixError} naming every problem, and `file` (default `source`). */
export function parseMatrix(value: unknown, source: string, file: string = source): Matrix {
  // zod's fast path compiles a function per object shape (`new Function`, never in V8's code cache) on its first
  // parse: worth it over thousands of revisions, a loss for a one-shot CLI's tens (compat.json cold: 12 → 8 ms).
  // The same checks run either way.
  const chain = (value as { schema_chain?: unknown } | null)?.schema_chain;
  const jitless = !(Array.isArray(chain) && chain.length >= 1000);
  const result = getMatrixSchema().safeParse(value, { jitless });
  if (!result.success) throw new MatrixError(file, formatIssues(result.error.issues));
  return createMatrix(result.data, source);
}

/**
 * Reads and validates a matrix file; without `file`, the bundled `compat.json`. `label` is its `source`; errors name
 * the file as given, and a file labelled {@link BUNDLED} (handshake's own, or the matrix a host CLI ships) by its
 * path: "bundled" tells a vendor nothing about which file is wrong.
 */
export function loadMatrix(file?: string, label: string = file ?? BUNDLED): Matrix {
  const bundled = join(packageRoot(), 'compat.json');
  const path = file ?? bundled;
  const named = label === BUNDLED ? path : label;
  // The one reader of user-controlled files: a FIFO or /dev/zero given as --compat is refused, never a hang.
  const read = readRegularFile(path, MAX_USER_FILE_BYTES);
  if (!read.ok) {
    const reason = read.missing ? 'file not found' : read.why;
    // How the file was chosen (a flag, a variable, the host's package) is the caller's to say: src/session/resolve.ts.
    throw new MatrixReadError(named, reason, read.missing);
  }
  const text = read.data.toString('utf8');
  // The bundled file (handshake's own, found as the bundled or the host's file; never --compat or the variable),
  // unchanged since the build validated it: the same text gives the same document.
  const validated = label === BUNDLED && resolve(path) === bundled ? validatedAtBuild(text) : null;
  if (validated) return createMatrix(validated, label);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MatrixError(named, [{ path: '', message: `not valid JSON (${(err as Error).message})` }], { cause: err });
  }
  return parseMatrix(json, label, named);
}

/** Renders zod issues as `path: message`, e.g. `upgrade_stops[1]: must be a semver version`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): MatrixIssue[] {
  return issues.map((issue) => ({ path: formatPath(issue.path), message: issueMessage(issue) }));
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    return issue.input === undefined ? `required (${issue.expected})` : `expected ${issue.expected}`;
  }
  if (issue.code === 'unrecognized_keys') return `unknown ${pluralWord(issue.keys.length, 'field')} ${issue.keys.join(', ')}`;
  return issue.message;
}

export type { MatrixDocument, MatrixInput };
