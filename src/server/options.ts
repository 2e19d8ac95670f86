import { DEFAULT_HEADER_NAMES, DEFAULT_VERSION_PATH, ENDPOINT_PATH, HEADER_NAME, type HeaderNames } from '../protocol/defaults.js';
import { HandshakeServerError } from './errors.js';

// The protocol's defaults live with the protocol (src/protocol/defaults.ts), read by the matrix schema too.
export { DEFAULT_HEADER_NAMES, DEFAULT_VERSION_PATH, ENDPOINT_PATH, type HeaderNames };

/** How long the middleware reuses a revision read, in ms, unless told otherwise. */
export const DEFAULT_CACHE_MS = 5000;
/** How long a read of the revision source may take before the version endpoint answers 503 (docs/protocol.md). */
export const DEFAULT_READ_TIMEOUT_MS = 3000;

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
        `Use letters, digits and "-" only, e.g. ${DEFAULT_HEADER_NAMES.schemaRevision}`,
      );
    }
    names[key as keyof HeaderNames] = value;
  }
  return names;
}

export function versionPathOf(path: string | undefined): string {
  const versionPath = path ?? DEFAULT_VERSION_PATH;
  if (!ENDPOINT_PATH.test(versionPath)) {
    throw new HandshakeServerError(`Invalid versionPath "${versionPath}"`, `Use an absolute path such as ${DEFAULT_VERSION_PATH}`);
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
