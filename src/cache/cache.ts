import { join } from 'node:path';
import * as z from 'zod/mini';
import { writeFileAtomic } from '../atomic-file.js';
import { envName } from '../env.js';
import { directoryFromEnv, ensureDirectory, homeDirectory, readRegularFile } from '../input/index.js';
import { type VersionDocument, versionDocumentSchema } from '../protocol/version-document.js';
import { redactUrl } from '../url.js';

/** The largest cache entry read: a version document is capped far below it when fetched. */
const MAX_ENTRY_BYTES = 4 * 1024 * 1024;

/** Default freshness of a cached handshake: one hour. */
export const DEFAULT_CACHE_TTL_MS = 60 * 60 * 1000;

// zod's mini API, as the version document's (src/protocol/version-document.ts says why).
const entrySchema = z.object({
  v: z.literal(1),
  url: z.string(),
  fetched_at: z.int().check(z.minimum(0)),
  stale: z.boolean(),
  document: versionDocumentSchema,
});

/** One server's cached handshake: what its version endpoint said, and when. */
export interface CacheEntry {
  url: string;
  fetchedAt: number;
  /** Set when an ordinary response showed drift: the next command re-handshakes. */
  stale: boolean;
  document: VersionDocument;
}

/**
 * `HANDSHAKE_CACHE_DIR`, else `$XDG_CACHE_HOME/handshake`, else `~/.cache/handshake`; null when
 * there is no home directory either (then there is no cache: it is an optimisation). A blank or
 * relative directory variable is a usage error naming it ({@link directoryFromEnv}).
 */
export function cacheDir(env: NodeJS.ProcessEnv, prefix = 'HANDSHAKE', product = 'handshake'): string | null {
  const explicit = directoryFromEnv(env, envName(prefix, 'CACHE_DIR'));
  if (explicit) return explicit;
  const xdg = directoryFromEnv(env, 'XDG_CACHE_HOME');
  if (xdg) return join(xdg, product);
  const home = homeDirectory(env);
  return home ? join(home, '.cache', product) : null;
}

/**
 * The cache key of a server: its URL normalized and stripped of credentials, as the name of its file. The
 * normalized URL's bytes in hex (one name per URL, of lower-case letters and digits, so a case-insensitive file
 * system cannot merge two), or beyond 100 bytes, which no name may grow to, its SHA-256 in 32 hex digits.
 * Hex rather than a hash for every URL: a command that finds its handshake in the cache would otherwise load
 * node:crypto for it, ≈ 5 ms of the passive check's budget (bench/NOTES.md).
 */
export function cacheKey(url: URL): string {
  const u = new URL(url.href);
  u.username = '';
  u.password = '';
  u.hash = '';
  u.search = '';
  const normalized = Buffer.from(`${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`);
  if (normalized.length <= MAX_PLAIN_KEY_BYTES) return `u-${normalized.toString('hex')}`;
  const { createHash } = process.getBuiltinModule('node:crypto');
  return createHash('sha256').update(normalized).digest('hex').slice(0, 32);
}
/** 100 bytes make a name of 202 characters, `.json` and a temporary file's suffix included under 255. */
const MAX_PLAIN_KEY_BYTES = 100;

/**
 * A per-server handshake cache: one small JSON file per server, written
 * atomically (temp file + rename, mode 0600) so concurrent CLI processes never
 * see a half-written file. A corrupt, truncated or foreign file is treated as
 * absent and overwritten; no cache problem ever fails a command.
 */
export class HandshakeCache {
  /** `dir` null: no cache at all (no home directory); every read misses and every write is skipped. */
  constructor(
    readonly dir: string | null,
    readonly ttlMs: number = DEFAULT_CACHE_TTL_MS,
  ) {}

  private file(url: URL): string | null {
    return this.dir === null ? null : join(this.dir, `${cacheKey(url)}.json`);
  }

  /** The entry for `url`, or null when there is none or it cannot be read. */
  read(url: URL): CacheEntry | null {
    const file = this.file(url);
    if (file === null) return null;
    // A FIFO, a device or a huge file planted as an entry is a miss, never a hang (docs/commands.md, "Local state").
    const read = readRegularFile(file, MAX_ENTRY_BYTES);
    if (!read.ok) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(read.data.toString('utf8'));
    } catch {
      return null;
    }
    // One entry per run: zod's eval-compiled fast path costs more to build than it saves (src/matrix/load.ts).
    const parsed = entrySchema.safeParse(raw, { jitless: true });
    if (!parsed.success) return null;
    const e = parsed.data;
    return { url: e.url, fetchedAt: e.fetched_at, stale: e.stale, document: e.document };
  }

  /** The entry if it is fresh at `now`: younger than the TTL and not marked stale. */
  fresh(url: URL, now: number): CacheEntry | null {
    const entry = this.read(url);
    if (!entry || entry.stale) return null;
    const age = now - entry.fetchedAt;
    return age >= 0 && age < this.ttlMs ? entry : null;
  }

  /** Stores a handshake. Never throws: a cache that cannot be written is just a cold cache next time. */
  write(url: URL, document: VersionDocument, now: number, stale = false): boolean {
    const body = JSON.stringify({ v: 1, url: redactUrl(url), fetched_at: now, stale, document });
    const target = this.file(url);
    if (target === null || this.dir === null) return false;
    try {
      // Bounded: Node's recursive mkdir spins forever on a path under /proc.
      ensureDirectory(this.dir);
      // Unsynced: an entry torn by a crash is detected and ignored when read, and a sync costs the command.
      writeFileAtomic(target, body, { sync: false });
      return true;
    } catch {
      return false;
    }
  }

  /** Marks the entry stale so the next command re-handshakes. */
  markStale(url: URL): void {
    const entry = this.read(url);
    if (entry && !entry.stale) this.write(url, entry.document, entry.fetchedAt, true);
  }
}
