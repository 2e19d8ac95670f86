import { exitCodeForVerdict } from '../../src/render/exit-codes.js';
import { formatStatus } from '../../src/render/server.js';
import { reportDocument } from '../../src/render/upgrade.js';
import { checkServer } from '../../src/session/session.js';
import { BaseCommand, commonFlags, serverFlags } from '../_lib/base.js';

export default class ServerStatus extends BaseCommand {
  static override summary =
    "Show the server: version, schema revision and its place in this CLI's chain, pending migrations, deployment, verdict.";
  static override description =
    'Exit codes as `compat check`: 0 compatible (or warnings only), 3 incompatible, 4 the server could not be checked, 2 usage.';
  static override examples = [
    '<%= config.bin %> server status --server https://observability.example.com',
    '<%= config.bin %> server status --json',
  ];
  static override flags = { ...commonFlags, ...serverFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServerStatus);
    const session = this.openSession(flags);
    const report = await this.waitingFor(this.waitText(session), checkServer(session, { remember: true }));
    this.emit(reportDocument(report), (r, style) => formatStatus({ ...r, findings: report.findings }, session.matrix, style));
    this.setExit(exitCodeForVerdict(report));
  }
}
