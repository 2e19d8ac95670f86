/**
 * The protocol's defaults and the shape of its names, said once (docs/protocol.md §1, docs/matrix.md): the
 * client reads them through the matrix schema's defaults, the server helpers (src/server/options.ts) through
 * their options, doctor and `server verify` directly. A vendor may rename each; then its `compat.json` and its
 * server's options must name the same.
 */

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

/** An HTTP header name as the matrix and the server options accept it: letters, digits and "-", 1 to 64. */
export const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;

/** An absolute URL path of plain characters: what the version, migrations and capability paths may be. */
export const ENDPOINT_PATH = /^\/[A-Za-z0-9/._~-]*$/;
