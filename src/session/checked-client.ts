import type { Dispatcher } from 'undici';
import type { HandshakeCache } from '../cache/cache.js';
import { envName } from '../env.js';
import { maintenance, type Observation, observe, readVersionHeaders } from '../handshake/observe.js';
import type { Hint, RemedyContext } from '../hint.js';
import type { VersionDocument } from '../protocol/version-document.js';
import { type ResponseHeadInfo, withHeaderHook } from '../transport/interceptor.js';
import { CROSS_ORIGIN_HEADERS, defaultDispatcher, type HttpResponse, httpRequest, type RequestOptions } from '../transport/request.js';
import { resolveApiUrl } from '../url.js';
import { type FeatureNeed, judge, UNCHECKED_STATUSES, type Verdict } from '../verdict/verdict.js';
import { assertKnownFeatures, enforceFeatures } from './feature-gate.js';
import { remedyContext, requireServer, type Session } from './session.js';

/** What the passive check concluded, handed back to the command to report after its own output. */
export interface PassiveReport {
  /** The verdict reached (from the cache, a fresh handshake, or the headers of a drifted response); null when none. */
  verdict: Verdict | null;
  /**
   * At most one warning per process, for stderr; null when there is nothing to say. Its fix is a hint, said
   * with `remedies` (this client's bin, prefix and server) by `src/render/` (`remedyFor(warning, warning.remedies)`).
   */
  warning: { message: string; hint: Hint | null; remedies: RemedyContext } | null;
  /** Version-endpoint requests this client made: 0 with a fresh cache, 1 when cold. */
  handshakeRequests: number;
  /** True when the headers of a response differed from the handshake it was compared with. */
  drift: boolean;
}

export interface CheckedClientOptions {
  /** Run the passive check (default: on unless `<PREFIX>_NO_VERSION_CHECK` is set). */
  passive?: boolean;
  /** The clock, for the cache's freshness (tests). */
  now?: () => number;
  /** Cancels every request of this client. */
  signal?: AbortSignal;
  /**
   * Features every request of this client needs (names from the matrix's `features`; docs/matrix.md "Features"),
   * added to the session's own (a BaseCommand's static `features`). Checked before the first request is sent.
   */
  features?: readonly string[];
  /** The command, as messages name it (`acme projects retention`); default: the session's, else "this request". */
  command?: string;
}

export type ClientRequestOptions = Pick<RequestOptions, 'method' | 'headers' | 'body' | 'maxBytes' | 'followRedirects'> & {
  /** Features this request needs, beside the client's: a server without one gets nothing (FeatureUnavailableError). */
  features?: readonly string[];
};

type Seen = { revision: string | null; version: string | null; requiredCliVersion: string | null; rejected: boolean };

/** True for `1`, `true`, `yes` (any case); false for unset, empty, `0`, `false`, `no`. */
export function envFlag(value: string | undefined): boolean {
  return value !== undefined && value !== '' && !/^(0|false|no)$/i.test(value);
}

/**
 * The HTTP client every ordinary command uses. Each response's revision and
 * version headers are seen through an undici interceptor and compared with
 * the cached handshake; a cold or stale cache is refreshed by a handshake that
 * runs concurrently with the command's own request, so a check never adds a
 * round trip to the command's latency.
 */
export class CheckedClient {
  readonly #session: Session;
  readonly #server: { url: URL; token: string | null };
  readonly #cache: HandshakeCache | null;
  readonly #now: () => number;
  readonly #signal: AbortSignal | undefined;
  readonly #passive: boolean;
  readonly #dispatcher: Dispatcher;
  readonly #seen: Seen = { revision: null, version: null, requiredCliVersion: null, rejected: false };
  #baseline: { document: VersionDocument; fromCache: boolean } | null = null;
  #cold: Promise<Observation> | null = null;
  #migrating: Observation | null = null;
  #finished: Promise<PassiveReport> | null = null;
  readonly #need: FeatureNeed;
  /** The handshake the feature gate judged from, when it had to make its own (the passive check off). */
  #gateLook: Promise<Observation> | null = null;

  constructor(session: Session, options: CheckedClientOptions = {}) {
    this.#session = session;
    this.#server = requireServer(session);
    this.#cache = session.cache;
    this.#now = options.now ?? Date.now;
    this.#signal = options.signal;
    const prefix = session.cli.envPrefix ?? 'HANDSHAKE';
    this.#passive = options.passive ?? !envFlag(session.env[envName(prefix, 'NO_VERSION_CHECK')]);
    const h = session.matrix.doc.headers;
    this.#dispatcher = this.#passive
      ? withHeaderHook(defaultDispatcher(session.timeoutMs, session.env), (info) => this.#observeHead(info), {
          names: [h.schema_revision, h.server_version, h.required_cli_version],
        })
      : defaultDispatcher(session.timeoutMs, session.env);
    this.#need = {
      features: [...new Set([...(session.need?.features ?? []), ...(options.features ?? [])])],
      command: options.command ?? session.need?.command ?? null,
    };
    // A feature the matrix does not declare is the caller's mistake: said now, before anything is sent.
    assertKnownFeatures(session, this.#need);
    if (this.#passive) this.#start();
  }

  /** The server this client talks to. */
  get url(): URL {
    return this.#server.url;
  }

  /** An undici dispatcher with the passive check on it, for code that calls undici directly. */
  get dispatcher(): Dispatcher {
    return this.#dispatcher;
  }

  /** One handshake with this client's server, token, headers, timeout and signal (the cold one and the feature gate's). */
  #handshake(): Promise<Observation> {
    return observe({
      baseUrl: this.#server.url,
      matrix: this.#session.matrix,
      token: this.#server.token,
      headers: this.#session.headers,
      timeoutMs: this.#session.timeoutMs,
      signal: this.#signal,
    });
  }

  #start(): void {
    const fresh = this.#cache?.fresh(this.#server.url, this.#now());
    if (fresh) {
      this.#baseline = { document: fresh.document, fromCache: true };
      return;
    }
    // Cold or stale: handshake now, concurrently with whatever the command does next. It goes through
    // the plain dispatcher, so its own headers are not mistaken for an ordinary response's.
    this.#cold = this.#handshake();
    // Never an unhandled rejection if the command fails before finish() is called.
    this.#cold.catch(() => {});
  }

  #observeHead(info: ResponseHeadInfo): void {
    if (info.origin !== this.#server.url.origin) return;
    const facts = readVersionHeaders(info.statusCode, info.headers, this.#session.matrix.doc.headers);
    if (facts.revision !== null) this.#seen.revision = facts.revision;
    if (facts.version !== null) this.#seen.version = facts.version;
    if (facts.rejected) {
      this.#seen.rejected = true;
      this.#seen.requiredCliVersion = facts.requiredCliVersion;
    }
  }

  /**
   * Checks that the server has every feature this client (and `features`) needs, from a fresh cached handshake
   * without a request, else by waiting for the handshake. Throws FeatureUnavailableError (feature-gate.ts) with the
   * verdict document when it lacks one or could not be checked. `request()` does this itself before it sends.
   */
  async requireFeatures(features: readonly string[] = []): Promise<void> {
    const need: FeatureNeed = { features: [...new Set([...this.#need.features, ...features])], command: this.#need.command ?? null };
    if (need.features.length === 0) return;
    if (features.length) assertKnownFeatures(this.#session, need);
    enforceFeatures(this.#session, this.#server.url, await this.#look(), need);
  }

  /** What the server said, for the gate: the fresh cache, else the cold handshake (waited for), else one of its own. */
  async #look(): Promise<Observation> {
    const headers = { schemaRevision: null, serverVersion: null };
    if (this.#baseline) return { kind: 'document', document: this.#baseline.document, headers };
    if (this.#cold) return this.#cold;
    const fresh = this.#cache?.fresh(this.#server.url, this.#now());
    if (fresh) return { kind: 'document', document: fresh.document, headers };
    if (!this.#gateLook) {
      this.#gateLook = this.#handshake();
      this.#gateLook.then(
        (o) => {
          if (o.kind === 'document') this.#cache?.write(this.#server.url, o.document, this.#now());
        },
        () => {},
      );
    }
    return this.#gateLook;
  }

  /** A request to `path` on the server: token (same origin only), deadline, size cap and the passive check. */
  async request(path: string, options: ClientRequestOptions = {}): Promise<HttpResponse> {
    const { features, ...rest } = options;
    // Nothing reaches the command's own route on a server without what it needs.
    await this.requireFeatures(features);
    const { url, token } = this.#server;
    const res = await httpRequest(resolveApiUrl(url, path), {
      ...rest,
      headers: { ...this.#session.headers, ...rest.headers },
      auth: token ? { origin: url.origin, token } : null,
      timeoutMs: this.#session.timeoutMs,
      signal: this.#signal,
      dispatcher: this.#dispatcher,
      // The one cross-origin rule, plus this session's own headers (a matrix may rename the CLI-version header).
      crossOriginHeaders: [...CROSS_ORIGIN_HEADERS, ...Object.keys(this.#session.headers)],
    });
    // A maintenance-mode answer on any call: the server is migrating (docs/protocol.md §1.7), whatever the cache says.
    if (this.#passive) this.#migrating ??= maintenance(res);
    return res;
  }

  /** Waits for a cold handshake (bounded by the timeout) and decides what to report. Idempotent. */
  finish(): Promise<PassiveReport> {
    this.#finished ??= this.#conclude();
    return this.#finished;
  }

  async #conclude(): Promise<PassiveReport> {
    if (!this.#passive) return { verdict: null, warning: null, handshakeRequests: 0, drift: false };
    const handshakeRequests = this.#cold ? 1 : 0;
    if (this.#migrating) return this.#say(this.#judge(this.#migrating), handshakeRequests);
    if (this.#seen.rejected) {
      const rejected = { kind: 'cli_rejected', requiredVersion: this.#seen.requiredCliVersion, httpStatus: 426 } as const;
      return this.#say(this.#judge(rejected), handshakeRequests);
    }
    if (this.#cold) {
      const early = await this.#concludeCold();
      if (early) return { ...early, handshakeRequests };
    }
    const baseline = this.#baseline;
    if (!baseline) return { verdict: null, warning: null, handshakeRequests, drift: false };
    return { ...this.#compare(baseline.document), handshakeRequests };
  }

  /** The one judge. */
  #judge(observation: Observation): Verdict {
    return judge(this.#session.matrix, observation, this.#session.cli).verdict;
  }

  /** A warning of a verdict (or in other words), its remedy to be said for the server this client talks to. */
  #warning(v: Verdict, message = v.message): NonNullable<PassiveReport['warning']> {
    return { message, hint: v.hint, remedies: remedyContext(this.#session) };
  }

  #say(v: Verdict, handshakeRequests: number): PassiveReport {
    return { verdict: v, warning: this.#warning(v), handshakeRequests, drift: false };
  }

  /** The cold handshake's answer: a report when it ends the check, else null with the baseline set (and cached). */
  async #concludeCold(): Promise<Omit<PassiveReport, 'handshakeRequests'> | null> {
    let observation: Observation;
    try {
      observation = await (this.#cold as Promise<Observation>);
    } catch {
      return { verdict: null, warning: null, drift: false };
    }
    if (observation.kind !== 'document') {
      const v = this.#judge(observation);
      // Unreachable or refused: the command's own result already tells; a server without a usable
      // version endpoint is worth one warning, since nothing can protect this user from drift.
      const worthSaying =
        observation.kind === 'cli_rejected' || observation.kind === 'not_found' || observation.kind === 'invalid_response';
      return { verdict: v, warning: worthSaying ? this.#warning(v) : null, drift: false };
    }
    this.#baseline = { document: observation.document, fromCache: false };
    this.#cache?.write(this.#server.url, observation.document, this.#now());
    return null;
  }

  /** What the responses' headers said against the handshake: drift (the cache marked stale), or the handshake's verdict. */
  #compare(document: VersionDocument): Omit<PassiveReport, 'handshakeRequests'> {
    const seen = this.#seen;
    const headers = { schemaRevision: seen.revision, serverVersion: seen.version };
    const revisionDrift = seen.revision !== null && seen.revision !== document.schema_revision;
    const versionDrift = seen.version !== null && seen.version !== document.server_version;
    if (!revisionDrift && !versionDrift) {
      const v = this.#judge({ kind: 'document', document, headers });
      return { verdict: v, warning: v.severity === 'ok' ? null : this.#warning(v), drift: false };
    }
    this.#cache?.markStale(this.#server.url);
    const now: VersionDocument = {
      ...document,
      server_version: seen.version ?? document.server_version,
      schema_revision: seen.revision ?? document.schema_revision,
      pending_migrations: [],
    };
    const v = this.#judge({ kind: 'document', document: now, headers });
    const changes = [
      revisionDrift ? `schema ${document.schema_revision ?? 'unknown'} → ${seen.revision}` : null,
      versionDrift ? `server ${document.server_version} → ${seen.version}` : null,
    ].filter(Boolean);
    const message = `the server changed since the last version check (${changes.join(', ')}): ${v.message}`;
    return { verdict: v, warning: this.#warning(v, message), drift: true };
  }
}

export { readVersionHeaders, type VersionHeaders } from '../handshake/observe.js';

/** Whether a passive verdict should turn a successful command's exit code into 3. */
export function passiveFails(report: PassiveReport): boolean {
  const v = report.verdict;
  return v !== null && v.severity === 'error' && !UNCHECKED_STATUSES.has(v.status);
}
