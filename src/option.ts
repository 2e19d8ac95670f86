import type { FlagName } from './hint.js';

/**
 * An SDK call's option, named as its caller writes it: the one rule of how a flag's meaning is said to a program
 * (docs/embedding.md). `render/remedy.ts` says a flag hint with it for an SDK caller; an error about what an SDK call
 * passed names it so in its message (`render/` says the host's flag instead on a command line).
 */

/** Options whose SDK name is not the flag's own in camelCase. */
const OPTION_NAMES: Partial<Record<FlagName, string>> = { compat: 'compatFile', timeout: 'timeoutMs' };

/** A flag as the SDK option of the same meaning: `max-bytes` → `maxBytes`, `compat` → `compatFile`. */
export function optionName(flag: FlagName): string {
  return OPTION_NAMES[flag] ?? camel(flag);
}

/** The option as an SDK call passes it: `{ to: "1.4.2" }`, `{ to }` without a value; a negated flag is `{ network: false }`. */
export function optionText(flag: FlagName, value?: string): string {
  if (flag.startsWith('no-') && value === undefined) return `{ ${camel(flag.slice(3))}: false }`;
  return `{ ${optionName(flag)}${value === undefined ? '' : `: ${JSON.stringify(value)}`} }`;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
