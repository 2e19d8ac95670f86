import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ErrorCode, HandshakeError } from '../errors.js';

const WHY: Record<string, string> = {
  ENOENT: 'its parent cannot hold directories',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'a file of that name is in the way',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
};

export interface EnsureDirectoryOptions {
  /** The mode of each directory created (default 0700). */
  mode?: number;
  /** The environment variable the path came from, named in the error (e.g. `HANDSHAKE_CACHE_DIR`). */
  variable?: string;
  /** What the directory is for, in the message (default "the directory"). */
  what?: string;
}

/**
 * Creates `dir` and its missing parents, bounded: it walks up itself, one stat per level, then
 * creates each missing level once, top-down. Node 20's `mkdirSync(dir, { recursive: true })`
 * loops forever on a path under /proc (every attempt fails with ENOENT and it retries the
 * parent); this cannot. A failure is a usage error naming `variable` when the path came from one.
 */
export function ensureDirectory(dir: string, options: EnsureDirectoryOptions = {}): void {
  const target = resolve(dir);
  const missing: string[] = [];
  for (let at = target; ; at = dirname(at)) {
    let isDir: boolean | null = null;
    try {
      isDir = statSync(at).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw failure(target, at, code, options);
    }
    if (isDir === true) break;
    if (isDir === false) throw failure(target, at, 'ENOTDIR', options);
    missing.unshift(at);
    // The root always exists; a path whose walk reaches it without finding a directory is not creatable.
    if (dirname(at) === at) throw failure(target, at, 'ENOENT', options);
  }
  for (const level of missing) {
    try {
      mkdirSync(level, { mode: options.mode ?? 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another process made it meanwhile: fine, if it is a directory.
      if (code === 'EEXIST' && isDirectory(level)) continue;
      throw failure(target, level, code, options);
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function failure(target: string, at: string, code: string | undefined, options: EnsureDirectoryOptions): HandshakeError {
  const what = options.what ?? 'the directory';
  const why = WHY[code ?? ''] ?? `error ${code ?? 'unknown'}`;
  const where = at === target ? '' : ` (at ${at})`;
  const from = options.variable ? ` (from ${options.variable})` : '';
  return new HandshakeError(ErrorCode.Usage, `cannot create ${what} ${target}${from}: ${why}${where}`, {
    remedy: options.variable
      ? `Point ${options.variable} at a directory you can write, or unset it`
      : `Make ${dirname(target)} writable, or choose another directory`,
  });
}
