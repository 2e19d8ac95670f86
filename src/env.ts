/**
 * The environment variables a run reads, named once: the resolver reads them, the root help lists them,
 * doctor names them. Each is `<PREFIX>_<NAME>`, the prefix the host CLI's bin upper-cased
 * ({@link envPrefixFor}: `acme-cli` → `ACME_CLI_SERVER`).
 */

/** `acme-cli` → `ACME_CLI`: the one rule for a host's variable prefix. */
export function envPrefixFor(bin: string): string {
  return bin.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}
