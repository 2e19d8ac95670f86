import { Flags } from '@oclif/core';
import { commonFlags, serverFlags } from './base.js';
import { intervalFlag, waitFlag } from './flags.js';

/** The flags of `server upgrade`, and the checks oclif cannot make (docs/commands.md "Upgrading the server"). */

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
  // Parsed to ms and range-checked where every flag value is (flags.ts): the 0.2 s floor, a timer-safe cap.
  interval: intervalFlag(2),
  wait: waitFlag(600),
};
