import { ErrorCode, HandshakeError, TransportError } from '../errors.js';
import { type Hint, hint } from '../hint.js';
import { redactText, serverAt } from '../url.js';

// Remedies that name a flag say it as a hint: the host CLI spells it (src/hint.ts).
const SERVER_HOST = hint.flag('server', undefined, 'Use the host name the certificate was issued for in {flag}');
/** The remedy of a server that cannot be reached: it names the server tried (its origin) and the flag that chooses it. */
function serverRuns(url: string): Hint {
  return hint.flag('server', undefined, `Check that ${serverAt(url)} is running and that {flag} points at it`);
}

const TLS_CAUSES: Record<string, { reason: string; remedy: string | Hint }> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: {
    reason: 'the server presented a self-signed certificate',
    remedy: 'Trust its CA: export NODE_EXTRA_CA_CERTS=/path/to/ca.pem',
  },
  SELF_SIGNED_CERT_IN_CHAIN: {
    reason: 'the certificate chain ends in a CA this machine does not trust',
    remedy: 'Trust that CA: export NODE_EXTRA_CA_CERTS=/path/to/ca.pem',
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    reason: 'the certificate could not be verified (an intermediate certificate is missing or untrusted)',
    remedy: 'Serve the full chain on the server, or export NODE_EXTRA_CA_CERTS=/path/to/ca.pem',
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
    reason: 'the certificate was issued by a CA this machine does not trust',
    remedy: 'Trust that CA: export NODE_EXTRA_CA_CERTS=/path/to/ca.pem',
  },
  CERT_HAS_EXPIRED: {
    reason: 'the server certificate has expired',
    remedy: 'Renew the certificate on the server (verification is never disabled)',
  },
  CERT_NOT_YET_VALID: {
    reason: 'the server certificate is not valid yet (check the clocks)',
    remedy: 'Fix the clock of this machine or of the server',
  },
  ERR_SSL_WRONG_VERSION_NUMBER: {
    reason: 'the server does not speak TLS on this port (a plain http server?)',
    remedy: hint.flag('server', undefined, "Use http:// in {flag}, or the server's TLS port"),
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    reason: 'the certificate does not match the host name',
    remedy: SERVER_HOST,
  },
};

const CONNECTION_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  ENOTFOUND: 'DNS lookup failed: host not found',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  UND_ERR_CLOSED: 'connection closed unexpectedly',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_OVERFLOW: 'response headers too large',
};

function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) codes.push(...codesOf(inner));
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/** `address:port` of a failed connection that was not to `url`'s port (so: to a proxy), or null. */
function elsewhere(err: unknown, url: string): string | null {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return null;
  }
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const { address, port: failed } = e as { address?: unknown; port?: unknown };
    if (typeof address === 'string' && typeof failed === 'number') return failed === port ? null : `${address}:${failed}`;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * Turns whatever undici or node threw into a {@link TransportError} with a
 * stable code, a message naming the cause and a remedy. `timedOut` says the
 * request's own deadline fired; `aborted` that the caller cancelled it.
 */
export function classifyError(err: unknown, ctx: { url: string; timeoutMs: number; timedOut: boolean; aborted: boolean }): HandshakeError {
  if (err instanceof HandshakeError) return err;
  const { url } = ctx;
  if (ctx.timedOut) {
    return new TransportError(ErrorCode.Timeout, `no complete answer from ${url} within ${ctx.timeoutMs} ms`, url, {
      hint: hint.flag('timeout', 'MS', `Check that ${serverAt(url)} is up, or allow more time with {flag}`),
      cause: err,
    });
  }
  if (ctx.aborted) return new TransportError(ErrorCode.Aborted, `request to ${url} was cancelled`, url, { cause: err });
  const codes = codesOf(err);
  for (const code of codes) {
    const tls = TLS_CAUSES[code];
    if (tls)
      return new TransportError(ErrorCode.Tls, `TLS failure talking to ${url}: ${tls.reason}`, url, {
        ...(typeof tls.remedy === 'string' ? { remedy: tls.remedy } : { hint: tls.remedy }),
        cause: err,
      });
  }
  const peer = elsewhere(err, url);
  for (const code of codes) {
    const reason = CONNECTION_CAUSES[code];
    if (reason && peer) {
      // The connection that failed was not to the server: with a proxy configured, it was to the proxy.
      return new TransportError(ErrorCode.Unreachable, `cannot reach ${url} through the proxy at ${peer}: ${reason}`, url, {
        remedy: 'Check HTTPS_PROXY / HTTP_PROXY, or list the server in NO_PROXY if it must not go through a proxy',
        cause: err,
      });
    }
    if (reason) {
      return new TransportError(ErrorCode.Unreachable, `cannot reach ${url}: ${reason}`, url, {
        ...(code.startsWith('E') && code.includes('NOTFOUND')
          ? { remedy: `Check the host name of ${serverAt(url)}` }
          : { hint: serverRuns(url) }),
        cause: err,
      });
    }
  }
  // Free text from below (undici, node, a proxy) may quote URLs: never with their credentials.
  const message = redactText(err instanceof Error ? err.message : String(err));
  const proxyStatus = /^Proxy response \((\d{3})\)/.exec(message)?.[1];
  if (proxyStatus) {
    return new TransportError(ErrorCode.Unreachable, `cannot reach ${url}: the proxy refused the tunnel (HTTP ${proxyStatus})`, url, {
      remedy:
        proxyStatus === '407'
          ? 'The proxy wants credentials: check the user and password in HTTPS_PROXY / HTTP_PROXY'
          : 'Check HTTPS_PROXY / HTTP_PROXY, or list the server in NO_PROXY if it must not go through the proxy',
      cause: err,
    });
  }
  if (/certificate|TLS|SSL/i.test(message)) {
    return new TransportError(ErrorCode.Tls, `TLS failure talking to ${url}: ${message}`, url, {
      remedy: 'Check the server certificate; to trust a private CA: export NODE_EXTRA_CA_CERTS=/path/to/ca.pem',
      cause: err,
    });
  }
  return new TransportError(ErrorCode.Unreachable, `cannot reach ${url}: ${message}`, url, { hint: serverRuns(url), cause: err });
}
