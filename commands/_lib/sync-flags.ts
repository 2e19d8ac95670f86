import { Args, Flags } from '@oclif/core';
import semver from 'semver';
import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { SYNC_FORMATS, SyncError, type SyncFormat, type SyncResult, syncMatrix } from '../../src/matrix/sync/index.js';

/** `compat sync`'s argument and flags. */
export const syncArgs = { dir: Args.string({ description: 'The migrations directory.', required: true }) };
export const syncFlags = {
  json: Flags.boolean({ description: 'Print one JSON document on stdout and nothing else.' }),
  compat: Flags.string({ description: 'The matrix to rewrite or check.', default: './compat.json', helpValue: 'FILE' }),
  format: Flags.string({ description: 'The migration tool (detected when omitted).', options: [...SYNC_FORMATS] }),
  check: Flags.boolean({ description: 'Write nothing: exit 0 when the chain matches, 3 when it does not (the CI gate).' }),
  release: Flags.string({
    description: 'The server release new revisions arrive in (without it: null, in no released server yet).',
    helpValue: 'VERSION',
  }),
};

interface SyncFlags {
  compat: string;
  format?: string;
  check: boolean;
  release?: string;
}

/** Runs the sync with the flags checked; a format it cannot detect names `--format`. */
export function runSync(dir: string, flags: SyncFlags): SyncResult {
  if (flags.release !== undefined && semver.valid(flags.release) !== flags.release) {
    throw new HandshakeError(ErrorCode.Usage, `--release "${flags.release}" is not a semver version`, { remedy: 'Write it like 1.5.0' });
  }
  try {
    const format = flags.format as SyncFormat | undefined;
    return syncMatrix({ dir, format, matrixFile: flags.compat, check: flags.check, release: flags.release });
  } catch (err) {
    if (err instanceof SyncError && err.problem === 'unknown_format') {
      throw new SyncError(err.problem, err.message, { file: err.file, remedy: `Name the tool with --format ${SYNC_FORMATS.join('|')}` });
    }
    throw err;
  }
}
