import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SyncError } from '../types.js';

/** A directory entry as the migration tools see it: a symlink counts as what it points to (they follow it). */
export interface DirEntry {
  name: string;
  path: string;
  file: boolean;
  directory: boolean;
}

/** The first file among `entries` whose name matches `pattern`: how a format that is known by its file names is detected. */
export function fileNamed(entries: readonly DirEntry[], pattern: RegExp): string | null {
  return entries.find((x) => x.file && pattern.test(x.name))?.path ?? null;
}

/**
 * The entries of `dir`, symlinks followed. A dangling symlink is listed as a file, so that a reader that
 * opens it fails naming it instead of dropping a migration (docs/compat-sync.md: symlinked migrations).
 */
export function listDir(dir: string): DirEntry[] {
  let dirents: import('node:fs').Dirent[];
  try {
    dirents = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : (code ?? (err as Error).message);
    throw new SyncError('unreadable', `Cannot read the migrations directory ${dir}: ${why}`, {
      file: dir,
      remedy: 'Give the directory that holds the migration files',
      cause: err,
    });
  }
  const out: DirEntry[] = [];
  for (const e of dirents) {
    const path = join(dir, e.name);
    if (e.isSymbolicLink()) {
      const st = statOrNull(path);
      out.push({ name: e.name, path, file: st ? st.isFile() : true, directory: st ? st.isDirectory() : false });
    } else {
      out.push({ name: e.name, path, file: e.isFile(), directory: e.isDirectory() });
    }
  }
  return out;
}

function statOrNull(path: string): import('node:fs').Stats | null {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null; // a symlink loop or no permission: listed as a file, and reading it names the problem
  }
}

/** The names of the files (symlinks to files included) of `dir`. */
export function fileNames(dir: string): string[] {
  return listDir(dir)
    .filter((e) => e.file)
    .map((e) => e.name);
}

/** Whether `dir` exists and holds a file (or a symlink to one) named `name`. */
export function hasFile(dir: string, name: string): boolean {
  return statOrNull(join(dir, name))?.isFile() ?? false;
}

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SyncError('unreadable', `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      file,
      cause: err,
    });
  }
}

/** The file is not one of the tool's migrations: a usage error naming it (the wrong --format, or a stray file). */
export function notAMigration(file: string, tool: string, why: string): SyncError {
  return new SyncError('wrong_format', `${file} is not a ${tool} migration: ${why}`, {
    file,
    remedy: `Name the tool that wrote the directory, or move ${file} out of it`,
  });
}

/**
 * The files under `dir` (as {@link walkFiles} finds them) whose own name matches `pattern`: the match, and
 * the file's path. How a tool that scans a location recursively for a name rule (Flyway, Rails, Ecto) reads.
 */
export function filesMatching(dir: string, pattern: RegExp, maxDepth?: number): { match: RegExpExecArray; file: string }[] {
  const out: { match: RegExpExecArray; file: string }[] = [];
  for (const rel of walkFiles(dir, maxDepth)) {
    const match = pattern.exec(rel.slice(rel.lastIndexOf('/') + 1));
    if (match) out.push({ match, file: join(dir, rel) });
  }
  return out;
}

/**
 * The files under `dir` (symlinks followed), as paths relative to it with `/`, subdirectories included to
 * `maxDepth`; hidden entries and node_modules skipped, as a shell glob's `**` skips dot-files.
 */
export function walkFiles(dir: string, maxDepth = 16, prefix = '', depth = 0): string[] {
  const out: string[] = [];
  for (const e of listDir(prefix ? join(dir, prefix) : dir)) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.file) out.push(p);
    else if (e.directory && depth < maxDepth) out.push(...walkFiles(dir, maxDepth, p, depth + 1));
  }
  return out;
}
