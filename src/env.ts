/**
 * The environment variables a run reads, named once: the resolver reads them, the root help lists them,
 * doctor names them. Each is `<PREFIX>_<NAME>`, the prefix the host CLI's bin upper-cased
 * ({@link envPrefixFor}: `acme-cli` → `ACME_CLI_SERVER`).
 */

/** `acme-cli` → `ACME_CLI`: the one rule for a host's variable prefix. */
export function envPrefixFor(bin: string): string {
  return bin.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/**
 * Every variable a run reads, named without the host's prefix: the one list. The root help lists each of them
 * (commands/_lib/help.ts must describe every one: its table is typed by this list), the resolver and the cache
 * read them, doctor names them.
 */
export const VARIABLES = ['SERVER', 'TOKEN', 'ADMIN_TOKEN', 'COMPAT_FILE', 'CACHE_DIR', 'CACHE_TTL', 'NO_VERSION_CHECK'] as const;

export type Variable = (typeof VARIABLES)[number];

/**
 * The variable as the host names it: `envName('ACME', 'TOKEN')` → `ACME_TOKEN`. One of {@link VARIABLES}, or a
 * name a host's own hint gives (`hint.variable('API_KEY')`).
 */
export function envName(prefix: string, variable: Variable | (string & {})): string {
  return `${prefix}_${variable}`;
}
