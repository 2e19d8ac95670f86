import { HandshakeServerError } from './errors.js';

/** Header names on the wire; a vendor may rename them, and then its `compat.json` must name the same. */
export interface HeaderNames {
  /** Response: the applied schema revision. */
  schemaRevision: string;
  /** Response: the server's version. */
  serverVersion: string;
  /** Request: the version of the CLI making it. */
  cliVersion: string;
  /** Response, on a 426: the CLI version the server requires. */
  requiredCliVersion: string;
}

/** The names `compat.json` uses when it names none. */
export const DEFAULT_HEADER_NAMES: Readonly<HeaderNames> = Object.freeze({
  schemaRevision: 'X-Schema-Revision',
  serverVersion: 'X-Server-Version',
  cliVersion: 'X-CLI-Version',
  requiredCliVersion: 'X-Required-CLI-Version',
});

/** The version endpoint's path when `compat.json` names none. */
export const DEFAULT_VERSION_PATH = '/api/v1/config/version';

/** How long the middleware reuses a revision read, in ms, unless told otherwise. */
export const DEFAULT_CACHE_MS = 5000;
/** How long a read of the revision source may take before the version endpoint answers 503 (docs/protocol.md). */
export const DEFAULT_READ_TIMEOUT_MS = 3000;

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
/** An absolute URL path of plain characters: what the version, migrations and capability paths may be. */
export const ENDPOINT_PATH = /^\/[A-Za-z0-9/._~-]*$/;

/** The header names with the overrides applied, each checked. */
export function headerNamesOf(overrides: Partial<HeaderNames> | undefined): HeaderNames {
  const names: HeaderNames = { ...DEFAULT_HEADER_NAMES };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) continue;
    if (!Object.hasOwn(names, key)) {
      throw new HandshakeServerError(`Unknown header option "${key}"`, `Use one of: ${Object.keys(names).join(', ')}`);
    }
    if (!HEADER_NAME.test(value)) {
      throw new HandshakeServerError(
        `Invalid header name for ${key}: "${value}"`,
        'Use letters, digits and "-" only, e.g. X-Schema-Revision',
      );
    }
    names[key as keyof HeaderNames] = value;
  }
  return names;
}

export function versionPathOf(path: string | undefined): string {
  const versionPath = path ?? DEFAULT_VERSION_PATH;
  if (!ENDPOINT_PATH.test(versionPath)) {
    throw new HandshakeServerError(`Invalid versionPath "${versionPath}"`, 'Use an absolute path such as /api/v1/config/version');
  }
  return versionPath;
}

export function cacheMsOf(ms: number | undefined): number {
  const cacheMs = ms ?? DEFAULT_CACHE_MS;
  if (!Number.isFinite(cacheMs) || cacheMs < 0) {
    throw new HandshakeServerError(`Invalid cacheMs ${cacheMs}`, 'Use a number of milliseconds, 0 or more');
  }
  return cacheMs;
}

export function readTimeoutMsOf(ms: number | undefined): number {
  const readTimeoutMs = ms ?? DEFAULT_READ_TIMEOUT_MS;
  if (!Number.isFinite(readTimeoutMs) || readTimeoutMs <= 0) {
    throw new HandshakeServerError(`Invalid readTimeoutMs ${readTimeoutMs}`, 'Use a number of milliseconds, more than 0 (default 3000)');
  }
  return readTimeoutMs;
}
