import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { type FlagArg, hint } from '../../src/hint.js';
import { formatPlan } from '../../src/render/upgrade.js';
import type { UpgradeHooks } from '../../src/upgrade/upgrade.js';
import { currentIO, type IO } from './io.js';
import type { UpgradeProgress } from './upgrade-progress.js';

/** The flags of `server upgrade` its confirmation remedy repeats (interval and wait in ms, as parsed). */
export interface UpgradeCommandFlags {
  to?: string;
  deployment?: string;
  'print-only'?: boolean;
  interval?: number;
  wait?: number;
}

/** The hooks `server upgrade` gives the SDK flow: the plan on stdout, the confirmation and the progress on stderr. */
export function upgradeHooks(opts: {
  progress: UpgradeProgress;
  yes: boolean;
  json: boolean;
  out: (text: string) => void;
  style: Parameters<typeof formatPlan>[2];
  /** The flags the command was run with, so the remedy repeats its command line with `--yes` added. */
  flags?: UpgradeCommandFlags;
  /** Where the confirmation is asked (default the run's, commands/_lib/io.ts). */
  io?: IO;
}): UpgradeHooks {
  const { progress } = opts;
  const io = opts.io ?? currentIO();
  return {
    plan: (plan, before) => {
      if (!opts.json) opts.out(formatPlan(plan, before, opts.style));
    },
    confirm: async (plan) => {
      if (opts.yes) return true;
      // Asked on stderr: `server upgrade | tail` on a terminal can still be confirmed (stdout is not needed).
      if (!(io.stdin.isTTY && io.stderr.isTTY)) {
        throw new HandshakeError(ErrorCode.Usage, 'confirmation needed, and there is no terminal to ask on', {
          hint: confirmHint(opts.flags ?? {}, opts.json),
        });
      }
      return progress.confirm(plan);
    },
    hopStart: (hop, plan) => progress.hopStart(hop, plan),
    pollEvent: (event, hop, plan) => progress.pollEvent(event, hop, plan),
  };
}

/** The same command line with `--yes` added, for the server that was checked (said by src/render/remedy.ts). */
export function confirmHint(flags: UpgradeCommandFlags, json: boolean) {
  const args: FlagArg[] = [];
  if (flags.to !== undefined) args.push({ flag: 'to', value: flags.to });
  if (flags.deployment !== undefined) args.push({ flag: 'deployment', value: flags.deployment });
  if (flags['print-only']) args.push({ flag: 'print-only' });
  // Parsed to ms; said again in seconds, only where they differ from the defaults (upgrade-flags.ts).
  if (flags.interval !== undefined && flags.interval !== 2000) args.push({ flag: 'interval', value: String(flags.interval / 1000) });
  if (flags.wait !== undefined && flags.wait !== 600_000) args.push({ flag: 'wait', value: String(flags.wait / 1000) });
  if (json) args.push({ flag: 'json' });
  args.push({ flag: 'yes' });
  return hint.run(['server', 'upgrade'], { forServer: true, args });
}
