import { type PyAssignment, PySyntaxError, type PyValue, readPython } from '../python.js';
import { cleanDescription, SyncError } from '../types.js';
import { readText } from './fs.js';

/** The wanted assignments and the docstring of a Python file; a file it cannot tokenize fails naming its line. */
export function python(
  file: string,
  want: ReadonlySet<string>,
  moduleHeaderOnly = false,
  text = readText(file),
): ReturnType<typeof readPython> {
  try {
    return readPython(text, want, { moduleHeaderOnly });
  } catch (err) {
    if (err instanceof PySyntaxError) {
      throw new SyncError('unreadable', `Cannot read ${file}:${err.line}: ${err.message}`, { file, cause: err });
    }
    throw err;
  }
}

export function unreadable(file: string, a: PyAssignment, what: string): SyncError {
  const why = a.value.ok ? what : a.value.reason;
  return new SyncError('unreadable', `Cannot read ${a.name} in ${file}:${a.line}: ${why}`, {
    file,
    remedy: `Write ${a.name} as a literal: a quoted string, None, or a tuple or list of quoted strings`,
  });
}

/** The last assignment of `name` at the wanted level (Python's own rule: the last one wins). */
export function lastAssignment(assignments: PyAssignment[], name: string, level: 'module' | 'class'): PyAssignment | undefined {
  let found: PyAssignment | undefined;
  for (const a of assignments) if (a.name === name && (level === 'module' ? a.column === 0 : a.column > 0)) found = a;
  return found;
}

export function firstLine(text: string | null): string | null {
  if (!text) return null;
  return cleanDescription(text.split('\n').find((l) => l.trim()) ?? null);
}

export function stringsOf(v: PyValue | undefined): string[] | null {
  if (v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return null;
}
