/** The built-in sections, in report order. A vendor check may name one of these or its own. */
export const SECTION = {
  cli: 'CLI',
  network: 'Network',
  server: 'Server health',
} as const;

export const SECTION_ORDER: readonly string[] = [SECTION.cli, SECTION.network, SECTION.server];
