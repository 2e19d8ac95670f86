import { type Hint, type RemedyContext, remedyText } from '../hint.js';

/**
 * handshake's own words, for an SDK caller that names no host: `handshake server upgrade`, `HANDSHAKE_TOKEN`.
 * A command always passes its host's context (its bin, its variable prefix, the server it checked).
 */
export const OWN_WORDS: RemedyContext = { bin: 'handshake', envPrefix: 'HANDSHAKE' };

/**
 * What fixes it, in words: the hint said for the host CLI (its bin, flag names, variable prefix and the server
 * that was checked), else the words it came with (a vendor's check, a step needing no host context), else null.
 * Works for a {@link HandshakeError}, a doctor check's result, anything with `hint` and/or `remedy`.
 *
 * ```ts
 * import { remedyFor } from 'handshake-compat';
 * const fix = isHandshakeError(err) ? remedyFor(err, { bin: 'acme', envPrefix: 'ACME' }) : null;
 * ```
 */
export function remedyFor(x: { hint?: Hint | null; remedy?: string | null }, ctx: RemedyContext = OWN_WORDS): string | null {
  return x.hint ? remedyText(x.hint, ctx) : (x.remedy ?? null);
}
