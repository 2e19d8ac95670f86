/**
 * Whether handshake runs mounted in another CLI, the one rule (docs/embedding.md). A module of its own, importing
 * nothing: oclif's help class and hooks ask it on every run, before any command loads the rest of the SDK.
 */

/** handshake's own name: the product, and the bin of its own CLI. */
export const OWN_NAME = 'handshake';

/**
 * Mounted: handshake's commands run under another bin (`acme compat check`), unless `mounted` says otherwise. A
 * mounted run reads the host's matrix and never falls back to handshake's bundled example matrix.
 */
export function isMounted(options: { mounted?: boolean; bin?: string; product?: string }): boolean {
  return options.mounted ?? (options.bin ?? options.product ?? OWN_NAME) !== OWN_NAME;
}
