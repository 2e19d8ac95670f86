import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** The file's mode (default 0600). */
  mode?: number;
  /**
   * Sync the file and the directory to the disk (default true). A cache whose entries are checked
   * when read may skip it: a torn entry is detected and ignored, and the sync costs the command.
   */
  sync?: boolean;
}

/**
 * Writes `data` to `target` so that a reader, a crash or a full disk never sees half of it: into a
 * temporary file beside it (same directory, so the rename cannot cross file systems), synced to
 * the disk, then renamed over `target`, and the directory synced so the rename itself survives a
 * power cut. On any failure the temporary file is removed and the error rethrown: a full or
 * read-only disk leaves nothing behind (docs/commands.md, "Local state"). `target` is replaced as a
 * directory entry: a caller that wants to write through a symbolic link resolves it first.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const { mode = 0o600, sync = true } = options;
  // node:crypto only when a file is written: loading it costs every command's startup (BENCHMARKS.md).
  const { randomBytes } = process.getBuiltinModule('node:crypto');
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(temp, 'wx', mode);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    if (sync) fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temp, target);
  } catch (err) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // Already failing: the write's error is the one to report.
      }
    }
    try {
      rmSync(temp, { force: true });
    } catch {
      // The directory itself is unusable: nothing was left behind.
    }
    throw err;
  }
  if (sync) syncDirectory(dirname(target));
}

/** Best effort: some file systems refuse to open or sync a directory, and the rename has happened anyway. */
function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // See above.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
