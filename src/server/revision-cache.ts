import type { ServerVersionDocument } from './document.js';

export interface RevisionCacheOptions {
  /** Reads the document from the revision source. */
  read(): Promise<ServerVersionDocument>;
  /** The document when there is no source: never read, never stale. */
  fixed: ServerVersionDocument | null;
  cacheMs: number;
  onError(err: unknown): void;
  /** While true (a migration run is going) the source is not read: its database is busy. */
  frozen(): boolean;
  /** What is served: the document read, with the migration runner's state laid over it. */
  view(doc: ServerVersionDocument): ServerVersionDocument;
}

export interface RevisionCache {
  /** Reads afresh (one read at a time), unless frozen; resolves with the view. */
  refresh(): Promise<ServerVersionDocument>;
  /** The cached view; a stale one is returned and read again in the background. Null before a first read. */
  current(): ServerVersionDocument | null;
  /** The cached view, never triggering a read. */
  peek(): ServerVersionDocument | null;
}

/** The revision source's last read, reused for `cacheMs`, shared by the headers and the version endpoint. */
export function createRevisionCache(opts: RevisionCacheOptions): RevisionCache {
  let cached: { doc: ServerVersionDocument; at: number } | null = opts.fixed ? { doc: opts.fixed, at: Number.POSITIVE_INFINITY } : null;
  let inflight: Promise<ServerVersionDocument> | null = null;

  function refresh(): Promise<ServerVersionDocument> {
    if (cached && (opts.frozen() || opts.fixed)) return Promise.resolve(opts.view(cached.doc));
    inflight ??= opts
      .read()
      .then((doc) => {
        cached = { doc, at: performance.now() };
        return doc;
      })
      .finally(() => {
        inflight = null;
      });
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
