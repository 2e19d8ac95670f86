import { Flags } from '@oclif/core';
import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { formatPlan, formatUpgradeResult } from '../../src/render/server.js';
import { upgradeServer } from '../../src/upgrade/upgrade.js';
import { BaseCommand, commonFlags, serverFlags } from '../_lib/base.js';
import { seconds, UPGRADE_EXIT, UpgradeProgress } from '../_lib/upgrade-progress.js';

export default class ServerUpgrade extends BaseCommand {
  static override summary =
    'Plan a server upgrade, print the exact commands for the server host, then wait until the server reports the target.';
  static override description =
    `<%= config.bin %> runs nothing on the server: it prints the backup and upgrade commands for the server's deployment kind (stdout), hop by hop through every required upgrade stop, asks for confirmation (or --yes), then polls the version endpoint until each hop is done (progress on stderr).

Exit codes: 0 upgraded, already up to date, or --dry-run; 2 usage, or confirmation needed (--yes); 3 the server reported a failed migration, or no upgrade can help (a dev build, a server newer than this CLI); 4 the server could not be reached or checked, or --wait ran out; 130 interrupted (the upgrade may still be running: check with \`server status\`).`;
  static override examples = [
    '<%= config.bin %> server upgrade --server https://observability.example.com --dry-run',
    '<%= config.bin %> server upgrade --to 1.4.2 --deployment docker-compose',
    '<%= config.bin %> server upgrade --yes --wait 900 --json',
  ];
  static override flags = {
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
    interval: Flags.string({ description: 'Seconds between polls (fractions allowed).', default: '2', helpValue: 'SECONDS' }),
    wait: Flags.string({ description: 'Seconds to wait for the server, all hops together.', default: '600', helpValue: 'SECONDS' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServerUpgrade);
    const intervalMs = seconds('interval', flags.interval);
    const waitMs = seconds('wait', flags.wait);
    const session = this.openSession(flags);
    const errStyle = this.errStyle;
    const progress = await UpgradeProgress.start(
      { err: (t) => this.err(t), clean: (t) => this.clean(t, errStyle), color: errStyle.color },
      intervalMs,
      waitMs,
    );
    try {
      const { signal } = progress.controller;
      const options = { to: flags.to, deployment: flags.deployment, dryRun: flags['dry-run'], intervalMs, waitMs, signal };
      const result = await upgradeServer(session, options, {
        plan: (plan, before) => {
          if (!this.jsonMode) this.out(formatPlan(plan, before, this.style));
        },
        confirm: async (plan) => {
          if (flags.yes) return true;
          if (!(process.stdin.isTTY && process.stderr.isTTY)) {
            throw new HandshakeError(ErrorCode.Usage, 'confirmation needed, and there is no terminal to ask on', {
              remedy: 'Pass --yes to confirm (or --dry-run to only print the plan)',
            });
          }
          return progress.confirm(plan, this.config.bin);
        },
        hopStart: (hop, plan) => progress.hopStart(hop, plan),
        pollEvent: (event, hop, plan) => progress.pollEvent(event, hop, plan),
      });
      this.emit(result, formatUpgradeResult);
      this.setExit(UPGRADE_EXIT[result.outcome]);
    } finally {
      progress.stop();
    }
  }
}
