import { Flags } from '@oclif/core';
import { exitCodeForVerdict } from '../../src/render/exit-codes.js';
import { compatDocument, formatCompatReport } from '../../src/render/report.js';
import { fleetDocument, formatFleet } from '../../src/render/servers.js';
import { checkFleet } from '../../src/session/fleet.js';
import { checkServer } from '../../src/session/session.js';
import { BaseCommand, commonFlags, serverFlags } from '../_lib/base.js';

export default class CompatCheck extends BaseCommand {
  static override summary = 'Check this CLI against a server: one version check, one verdict. The CI gate.';
  static override description =
    `With --all, every configured server is checked concurrently: one row each (--json: an array), and the exit code is the worst one.
Exit codes: 0 compatible (or warnings only), 3 incompatible (or any warning with --strict), 4 the server could not be checked, 2 usage.`;
  static override examples = [
    '<%= config.bin %> compat check --server https://observability.example.com',
    '<%= config.bin %> compat check --server "$URL" --strict --json',
    '<%= config.bin %> compat check --all',
  ];
  static override flags = {
    ...commonFlags,
    ...serverFlags,
    strict: Flags.boolean({ description: 'Fail (exit 3) on warn-severity verdicts too.' }),
    all: Flags.boolean({ description: 'Check every configured server (see `server list`).', exclusive: ['server'] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CompatCheck);
    const session = this.openSession(flags.all ? { ...flags, server: undefined } : flags);
    if (flags.all) {
      const rows = await this.waitingFor(`every configured server (up to ${session.timeoutMs / 1000} s)`, checkFleet(session));
      this.emit(fleetDocument(rows), (_, style) => formatFleet(rows, style));
      this.setExit(Math.max(0, ...rows.map((r) => exitCodeForVerdict(r, flags.strict))));
      return;
    }
    const report = compatDocument(await this.waitingFor(this.waitText(session), checkServer(session)));
    this.emit(report, formatCompatReport);
    this.setExit(exitCodeForVerdict(report, flags.strict));
  }
}
