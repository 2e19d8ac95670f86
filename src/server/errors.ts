/**
 * The one error `handshake-compat/server` throws: a server was set up with a value
 * the protocol cannot carry (a non-semver version, a bad header name…). It is
 * thrown at setup, never while answering a request, so a misconfigured server
 * fails at start rather than serving a document every CLI rejects.
 */
export class HandshakeServerError extends Error {
  readonly code = 'E_SERVER_CONFIG' as const;
  /** What to change to fix it. */
  readonly remedy: string;

  constructor(message: string, remedy: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HandshakeServerError';
    this.remedy = remedy;
  }
}
