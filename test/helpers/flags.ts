import { Parser } from '@oclif/core';
import { flagValueError } from '../../commands/_lib/flags.js';

/**
 * Parses `--name=value` the way oclif parses a command's flags; a value it refuses comes back as
 * BaseCommand says it (flagValueError, commands/_lib/flags.ts), a usage error naming the flag.
 */
export async function parseFlag(flags: Parameters<typeof Parser.parse>[1]['flags'], name: string, value: string): Promise<unknown> {
  try {
    const { flags: parsed } = await Parser.parse([`--${name}=${value}`], { flags, strict: true });
    return (parsed as Record<string, unknown>)[name];
  } catch (err) {
    throw flagValueError(err, flags, 'See --help') ?? err;
  }
}
