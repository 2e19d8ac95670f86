import { ExitCode } from '../../src/render/exit-codes.js';
import { formatSync, syncDocument } from '../../src/render/sync.js';
import { BaseCommand } from '../_lib/base.js';
import { hostBranding } from '../_lib/branding.js';
import { runSync, syncArgs, syncFlags } from '../_lib/sync-flags.js';

export default class CompatSync extends BaseCommand {
  static override summary = "Rebuild or check the matrix's schema_chain from a migrations directory.";
  static override description =
    `Reads DIR with the migration tool's own rules (ids as the tool records them, the tool's order, merge revisions with their parents) and rewrites the matrix's schema_chain; every other field, and every known revision's description and server_version, stay as they are. New revisions get --release as their server_version, or null (in no released server yet) without it.
Exit codes: 0 the chain matches (or was written), 3 it does not match (--check) or the migrations have more than one head, 2 usage (an unreadable file, a cycle, a missing parent).`;
  static override examples = [
    '<%= config.bin %> compat sync server/alembic/versions',
    '<%= config.bin %> compat sync db/migrate --format rails --release 2.4.0',
    '<%= config.bin %> compat sync migrations --check --compat compat.json',
  ];
  static override args = syncArgs;
  static override flags = syncFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CompatSync);
    const result = runSync(args.dir, flags);
    const ctx = { bin: this.config.bin, envPrefix: hostBranding(this.config).envPrefix };
    this.emit(syncDocument(result), () => formatSync(result, this.style, { check: flags.check, ctx }));
    if (flags.check && result.changed) this.setExit(ExitCode.Incompatible);
  }
}
