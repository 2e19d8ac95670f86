import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { formatPlan } from '../../src/render/upgrade.js';
import type { UpgradeHooks } from '../../src/upgrade/upgrade.js';
import type { UpgradeProgress } from './upgrade-progress.js';

/** The hooks `server upgrade` gives the SDK flow: the plan on stdout, the confirmation and the progress on stderr. */
export function upgradeHooks(opts: {
  progress: UpgradeProgress;
  yes: boolean;
  json: boolean;
  out: (text: string) => void;
  style: Parameters<typeof formatPlan>[2];
}): UpgradeHooks {
  const { progress } = opts;
  return {
    plan: (plan, before) => {
      if (!opts.json) opts.out(formatPlan(plan, before, opts.style));
    },
    confirm: async (plan) => {
      if (opts.yes) return true;
      // Asked on stderr: `server upgrade | tail` on a terminal can still be confirmed (stdout is not needed).
      if (!(process.stdin.isTTY && process.stderr.isTTY)) {
        throw new HandshakeError(ErrorCode.Usage, 'confirmation needed, and there is no terminal to ask on', {
          remedy: 'Pass --yes to confirm (or --dry-run to only print the plan)',
        });
      }
      return progress.confirm(plan);
    },
    hopStart: (hop, plan) => progress.hopStart(hop, plan),
    pollEvent: (event, hop, plan) => progress.pollEvent(event, hop, plan),
  };
}
