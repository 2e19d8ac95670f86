/**
 * `handshake-compat/oclif`: the base command every handshake command extends, for a
 * vendor's own commands. Its commands get the contract's exit codes (also
 * under --json), one renderer for stdout/stderr, and sessions branded from the
 * host CLI (`ACME_SERVER`, `ACME_TOKEN`, the host's `compat.json`).
 *
 * @packageDocumentation
 */
export { BaseCommand, commonFlags, serverFlags } from './base.js';
export { type Branding, envPrefixFor, hostBranding } from './branding.js';
export { default as HandshakeHelp } from './help.js';
export { guardHomelessProcess } from './homeless.js';
export { default as commandNotFound } from './not-found.js';
