import { formatUpgradeResult, upgradeDocument, upgradeExitCode } from '../../src/render/upgrade.js';
import { upgradeServer } from '../../src/upgrade/upgrade.js';
import { BaseCommand } from '../_lib/base.js';
import { upgradeFlags } from '../_lib/upgrade-flags.js';
import { UpgradeProgress } from '../_lib/upgrade-progress.js';
import { upgradeHooks } from '../_lib/upgrade-run.js';

export default class ServerUpgrade extends BaseCommand {
  static override summary =
    'Plan a server upgrade, print the exact commands for the server host (or let the server apply its own migrations), then wait until the server reports the target.';
  static override description =
    `<%= config.bin %> runs nothing on the server host: it prints the backup and upgrade commands for the server's deployment kind (stdout), hop by hop through every required upgrade stop, asks for confirmation (or --yes), then polls the version endpoint until each hop is done (progress on stderr). When all that is left is the server's own pending migrations, the server offers its admin endpoint and $<%= config.scopedEnvVarKey("ADMIN_TOKEN") %> is set, the server backs up and applies them itself (--print-only keeps the commands).

Exit codes: 0 upgraded, already up to date, or --dry-run; 2 usage, or confirmation needed (--yes); 3 a failed migration, or no upgrade can help; 4 the server could not be reached or checked, or --wait ran out; 130 interrupted (SIGINT), 143 terminated (SIGTERM): the upgrade may still be running.`;
  static override examples = [
    '<%= config.bin %> server upgrade --server https://observability.example.com --dry-run',
    '<%= config.bin %> server upgrade --to 1.4.2 --deployment docker-compose',
    '<%= config.bin %> server upgrade --yes --wait 900 --json',
  ];
  static override flags = upgradeFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(ServerUpgrade);
    const { interval: intervalMs, wait: waitMs } = flags;
    const session = this.openSession(flags);
    const sink = { err: (t: string) => this.err(t), clean: (t: string) => this.clean(t, this.errStyle), color: this.errStyle.color };
    const progress = await UpgradeProgress.start(sink, intervalMs, waitMs, this.io);
    try {
      const options = { to: flags.to, deployment: flags.deployment, dryRun: flags['dry-run'], printOnly: flags['print-only'] };
      const hooks = upgradeHooks({
        progress,
        yes: flags.yes,
        json: this.jsonMode,
        flags,
        out: (t) => this.out(t),
        style: this.style,
        io: this.io,
      });
      const now = () => new Date(this.io.now());
      const result = await upgradeServer(session, { ...options, intervalMs, waitMs, signal: progress.controller.signal, now }, hooks);
      if (this.jsonMode) this.outJson(upgradeDocument(result));
      else this.out(formatUpgradeResult(result, this.style));
      this.setExit(upgradeExitCode(result.outcome, progress.signal));
    } finally {
      progress.stop();
    }
  }
}
