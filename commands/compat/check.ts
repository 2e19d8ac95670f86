import { Flags } from '@oclif/core';
import { exitCodeForVerdict } from '../../src/render/exit-codes.js';
import { compatDocument, formatCompatReport } from '../../src/render/report.js';
import { fleetDocument, formatFleet } from '../../src/render/servers.js';
import { assertKnownFeatures } from '../../src/session/feature-gate.js';
import { checkFleet } from '../../src/session/fleet.js';
import { checkServer, type Session } from '../../src/session/session.js';
import { formatSeconds } from '../../src/text.js';
import type { FeatureNeed } from '../../src/verdict/verdict.js';
import { BaseCommand, commonFlags, serverFlags } from '../_lib/base.js';

export default class CompatCheck extends BaseCommand {
  static override summary = 'Check this CLI against a server: one version check, one verdict. The CI gate.';
  static override description =
    `With --all, every configured server is checked concurrently: one row each (--json: an array), and the exit code is the worst one.
With --feature NAME (repeatable), a server that lacks that feature of the matrix fails too (feature_unavailable).
Exit codes: 0 compatible (or warnings only), 3 incompatible (or any warning with --strict), 4 the server could not be checked, 2 usage.`;
  static override examples = [
    '<%= config.bin %> compat check --server https://observability.example.com',
    '<%= config.bin %> compat check --server "$URL" --strict --json',
    '<%= config.bin %> compat check --all',
    '<%= config.bin %> compat check --feature retention',
  ];
  static override flags = {
    ...commonFlags,
    ...serverFlags,
    strict: Flags.boolean({ description: 'Fail (exit 3) on warn-severity verdicts too.' }),
    all: Flags.boolean({ description: 'Check every configured server (see `server list`).', exclusive: ['server'] }),
    feature: Flags.string({
      description: "Fail (exit 3) when the server lacks this feature of the matrix's `features` (repeatable).",
      helpValue: 'NAME',
      multiple: true,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CompatCheck);
    const session = this.openSession(flags.all ? { ...flags, server: undefined } : flags);
    const need = this.featureNeed(session, flags.feature ?? []);
    if (flags.all) {
      const rows = await this.waitingFor(
        `every configured server (up to ${formatSeconds(session.timeoutMs)})`,
        checkFleet(session, { need }),
      );
      this.emit(fleetDocument(rows), (_, style) => formatFleet(rows, style));
      this.setExit(Math.max(0, ...rows.map((r) => exitCodeForVerdict(r, flags.strict))));
      return;
    }
    const report = compatDocument(await this.waitingFor(this.waitText(session), checkServer(session, { need })));
    this.emit(report, (r, style) => formatCompatReport(r, style, need?.features));
    this.setExit(exitCodeForVerdict(report, flags.strict));
  }

  /** The features of --feature, each one the matrix declares: an unknown name is a usage error naming it. */
  private featureNeed(session: Session, names: readonly string[]): FeatureNeed | null {
    if (names.length === 0) return null;
    const need = { features: [...new Set(names)], command: null };
    assertKnownFeatures(session, need, { flag: 'feature' });
    return need;
  }
}
