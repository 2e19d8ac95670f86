import { Flags } from '@oclif/core';
import { exitCodeForVerdict } from '../../src/render/exit-codes.js';
import { formatCompatReport } from '../../src/render/report.js';
import { checkServer, compatDocument } from '../../src/session/session.js';
import { BaseCommand, commonFlags, serverFlags } from '../_lib/base.js';

export default class CompatCheck extends BaseCommand {
  static override summary = 'Check this CLI against a server: one handshake, one verdict. The CI gate.';
  static override description =
    `Exit codes: 0 compatible (or warnings only), 3 incompatible (or any warning with --strict), 4 the server could not be checked, 2 usage.`;
  static override examples = [
    '<%= config.bin %> compat check --server https://observability.example.com',
    '<%= config.bin %> compat check --server "$URL" --strict --json',
  ];
  static override flags = {
    ...commonFlags,
    ...serverFlags,
    strict: Flags.boolean({ description: 'Fail (exit 3) on warn-severity verdicts too.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CompatCheck);
    const session = this.openSession({ server: flags.server, timeoutMs: flags.timeout, compatFile: flags.compat });
    const report = compatDocument(await checkServer(session));
    this.emit(report, formatCompatReport);
    this.setExit(exitCodeForVerdict(report, flags.strict));
  }
}
