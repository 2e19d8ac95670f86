import { Flags } from '@oclif/core';
import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { commonFlags, serverFlags } from './base.js';

/** The flags of `server upgrade`, and the checks oclif cannot make (CONTRACT §5). */

/** The shortest pause between polls: a faster poll only loads the server. */
export const MIN_INTERVAL_MS = 200;
/** The longest timer Node keeps (2^31-1 ms, ~24.8 days): a longer one fires at once and polls continuously. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const upgradeFlags = {
  ...commonFlags,
  ...serverFlags,
  to: Flags.string({ description: 'Server version to end at (default: the recommended version).', helpValue: 'VERSION' }),
  deployment: Flags.string({
    description:
      'Deployment kind whose commands to print, when the server does not report one (docker-compose, helm, rpm, deb; others get generic steps).',
    helpValue: 'KIND',
  }),
  yes: Flags.boolean({ char: 'y', description: 'Confirm without a prompt (required without a terminal).' }),
  'dry-run': Flags.boolean({ description: 'Print the plan and exit: no confirmation, no polling.' }),
  'print-only': Flags.boolean({
    description: 'Print the commands to run on the server host even when the server could apply its own migrations (admin token).',
  }),
  interval: Flags.string({ description: 'Seconds between polls (fractions allowed, at least 0.2).', default: '2', helpValue: 'SECONDS' }),
  wait: Flags.string({ description: 'Seconds to wait for the server, all hops together.', default: '600', helpValue: 'SECONDS' }),
};

/** A number of seconds (fractions allowed) within [min, max] ms, as ms; anything else is a usage error naming the flag. */
export function seconds(flag: 'interval' | 'wait', value: string): number {
  const n = Number(value);
  const min = flag === 'interval' ? MIN_INTERVAL_MS : 1;
  const ms = Math.round(n * 1000);
  const example = `--${flag} ${flag === 'wait' ? '600' : '2'}`;
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new HandshakeError(ErrorCode.Usage, `--${flag} must be a positive number of seconds, got "${value}"`, { remedy: example });
  }
  if (ms < min) {
    throw new HandshakeError(ErrorCode.Usage, `--${flag} must be at least ${min / 1000} s, got "${value}"`, { remedy: example });
  }
  if (ms > MAX_TIMER_MS) {
    throw new HandshakeError(ErrorCode.Usage, `--${flag} must be at most ${MAX_TIMER_MS / 1000} s (about 24 days), got "${value}"`, {
      remedy: example,
    });
  }
  return ms;
}
