/**
 * The sections of docs/protocol.md that `server verify` checks, in report order, each with its title there.
 * A check's `section` is one of these keys; the report groups the checks by it.
 */
export const SECTION_TITLES = {
  '§1': 'The version endpoint',
  '§1.1': 'The version document',
  '§1.2': 'Versions and revision ids',
  '§1.3': 'Capabilities and feature flags',
  '§1.4': 'Headers on every response',
  '§1.6': 'Enforcing the CLI window: 426',
  '§1.7': 'Maintenance mode: 503',
  '§1.8': 'Error bodies',
  '§1b': 'The admin migration endpoint',
} as const;

export type ProtocolSection = keyof typeof SECTION_TITLES;

export const SECTION_ORDER: readonly ProtocolSection[] = Object.keys(SECTION_TITLES) as ProtocolSection[];
