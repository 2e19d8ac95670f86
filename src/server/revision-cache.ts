import type { ServerVersionDocument } from './document.js';

export interface RevisionCacheOptions {
  /** Reads the document from the revision source. */
  read(): Promise<ServerVersionDocument>;
  /** The document when there is no source: never read, never stale. */
  fixed: ServerVersionDocument | null;
  cacheMs: number;
  /** How long one read may take: past it, whoever waits on it gets {@link RevisionReadTimeout}, and the next refresh reads anew. */
  readTimeoutMs: number;
  onError(err: unknown): void;
  /** While true (a migration run is going) the source is not read: its database is busy. */
  frozen(): boolean;
  /** What is served: the document read, with the migration runner's state laid over it. */
  view(doc: ServerVersionDocument): ServerVersionDocument;
}

export interface RevisionCache {
  /**
   * Reads afresh (one read at a time), unless frozen; resolves with the view. Rejects with
   * {@link RevisionReadTimeout} when the read is older than the deadline.
   */
  refresh(): Promise<ServerVersionDocument>;
  /** The cached view; a stale one is returned and read again in the background. Null before a first read. */
  current(): ServerVersionDocument | null;
  /** The cached view, never triggering a read. */
  peek(): ServerVersionDocument | null;
}

/** A read of the revision source that did not answer within `readTimeoutMs`. */
export class RevisionReadTimeout extends Error {
  readonly code = 'E_REVISION_TIMEOUT' as const;
  constructor(readonly timeoutMs: number) {
    super(`The revision source did not answer within ${timeoutMs} ms`);
    this.name = 'RevisionReadTimeout';
  }
}

/**
 * The revision source's last read, reused for `cacheMs`, shared by the headers and the version endpoint.
 * Concurrent refreshes join one read, but only until its deadline (`readTimeoutMs`): then they all
 * get {@link RevisionReadTimeout}, and the next refresh starts a read of its own, so no request ever
 * waits on a read older than the deadline, and a source that never answers costs each request at
 * most the deadline, never a hang. A read that answers late still updates the cache.
 */
export function createRevisionCache(opts: RevisionCacheOptions): RevisionCache {
  // `at`: when the read that produced `doc` started, so a late answer never replaces a newer one.
  let cached: { doc: ServerVersionDocument; at: number } | null = opts.fixed ? { doc: opts.fixed, at: Number.POSITIVE_INFINITY } : null;
  let inflight: Promise<ServerVersionDocument> | null = null;

  function read(): Promise<ServerVersionDocument> {
    const startedAt = performance.now();
    const answer = opts.read().then((doc) => {
      if (!cached || cached.at <= startedAt) cached = { doc, at: startedAt };
      return doc;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RevisionReadTimeout(opts.readTimeoutMs)), opts.readTimeoutMs);
      timer.unref?.();
    });
    // The stuck read's own outcome, if it ever comes, is only the cache's: nobody waits on it past the deadline.
    answer.catch(() => {});
    return Promise.race([answer, deadline]).finally(() => clearTimeout(timer));
  }

  function refresh(): Promise<ServerVersionDocument> {
    if (cached && (opts.frozen() || opts.fixed)) return Promise.resolve(opts.view(cached.doc));
    if (!inflight) {
      const mine = read().finally(() => {
        if (inflight === mine) inflight = null;
      });
      inflight = mine;
    }
    return inflight.then(opts.view);
  }

  const peek = () => (cached ? opts.view(cached.doc) : null);

  return {
    refresh,
    peek,
    current() {
      if (cached && !opts.frozen() && performance.now() - cached.at > opts.cacheMs) refresh().catch(opts.onError);
      return peek();
    },
  };
}
