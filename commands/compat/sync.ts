import { Args, Flags } from '@oclif/core';
import semver from 'semver';
import { quote } from 'shell-quote';
import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { SYNC_FORMATS, SyncError, type SyncFormat, syncMatrix } from '../../src/matrix/sync/index.js';
import { ExitCode } from '../../src/render/exit-codes.js';
import { formatSync, syncDocument } from '../../src/render/sync.js';
import { BaseCommand } from '../_lib/base.js';

export default class CompatSync extends BaseCommand {
  static override summary = "Rebuild or check the matrix's schema_chain from a migrations directory.";
  static override description =
    `Reads DIR with the migration tool's own rules (ids as the tool records them, the tool's order, merge revisions with their parents) and rewrites the matrix's schema_chain; every other field, and every known revision's description and server_version, stay as they are.
Exit codes: 0 the chain matches (or was written), 3 it does not match (--check) or the migrations have more than one head, 2 usage (an unreadable file, a cycle, a missing parent).`;
  static override examples = [
    '<%= config.bin %> compat sync server/alembic/versions',
    '<%= config.bin %> compat sync db/migrate --format rails --release 2.4.0',
    '<%= config.bin %> compat sync migrations --check --compat compat.json',
  ];
  static override args = { dir: Args.string({ description: 'The migrations directory.', required: true }) };
  static override flags = {
    json: Flags.boolean({ description: 'Print one JSON document on stdout and nothing else.' }),
    compat: Flags.string({ description: 'The matrix to rewrite or check.', default: './compat.json', helpValue: 'FILE' }),
    format: Flags.string({ description: 'The migration tool (detected when omitted).', options: [...SYNC_FORMATS] }),
    check: Flags.boolean({ description: 'Write nothing: exit 0 when the chain matches, 3 when it does not (the CI gate).' }),
    release: Flags.string({
      description: "The server release new revisions arrive in (default: the matrix's cli_version).",
      helpValue: 'VERSION',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CompatSync);
    if (flags.release !== undefined && semver.valid(flags.release) !== flags.release) {
      throw new HandshakeError(ErrorCode.Usage, `--release "${flags.release}" is not a semver version`, { remedy: 'Write it like 1.5.0' });
    }
    let result: ReturnType<typeof syncMatrix>;
    try {
      result = syncMatrix({
        dir: args.dir,
        format: flags.format as SyncFormat | undefined,
        matrixFile: flags.compat,
        check: flags.check,
        release: flags.release,
      });
    } catch (err) {
      if (err instanceof SyncError && err.problem === 'unknown_format') {
        throw new SyncError(err.problem, err.message, { file: err.file, remedy: `Name the tool with --format ${SYNC_FORMATS.join('|')}` });
      }
      throw err;
    }
    const fix = quote([
      this.config.bin,
      'compat',
      'sync',
      args.dir,
      '--compat',
      flags.compat,
      ...(flags.format ? ['--format', flags.format] : []),
    ]);
    this.emit(syncDocument(result), () => formatSync(result, this.style, { check: flags.check, remedy: fix }));
    if (flags.check && result.changed) this.setExit(ExitCode.Incompatible);
  }
}
