import { join } from 'node:path';
import { type Migration, SyncError } from '../types.js';
import type { Format } from './format.js';
import { listDir, readText } from './fs.js';
import { byCodeUnit, detectByContent } from './js.js';

const ATTRIBUTE = /\[\s*(?:Microsoft\.EntityFrameworkCore\.Migrations\.)?Migration(?:Attribute)?\s*\(\s*"([^"]+)"\s*\)\s*\]/g;
const CONTEXT = /\[\s*DbContext\s*\(\s*typeof\s*\(\s*([\w.]+)\s*\)\s*\)\s*\]/;

/**
 * EF Core: the `[Migration("…")]` attribute of each migration class in the directory's `.cs` files (the
 * designer files); the id is that string (`20240101120000_Init`), as __EFMigrationsHistory.MigrationId
 * records it; ordered by id (MigrationsAssembly.Migrations: `orderby id`), compared ordinally here — the same
 * order for EF's `yyyyMMddHHmmss_Name` ids whenever the timestamps differ. Migrations of more than one
 * DbContext in one directory are refused: each context has its own chain.
 */
export const efcore: Format = {
  tool: 'EF Core',
  detect: (_dir, entries) =>
    detectByContent(
      entries,
      (n) => n.endsWith('.cs'),
      (t) => (/\[\s*Migration\s*\(\s*"/.test(t) ? true : /\bModelSnapshot\b/.test(t) ? null : null),
    ),
  read(dir) {
    const found: { id: string; file: string; context: string | null }[] = [];
    for (const e of listDir(dir)) {
      if (!e.file || !e.name.endsWith('.cs')) continue;
      const text = readText(e.path);
      for (const m of text.matchAll(ATTRIBUTE)) {
        const near = text.slice(Math.max(0, (m.index as number) - 400), (m.index as number) + 400);
        found.push({ id: m[1] as string, file: e.path, context: CONTEXT.exec(near)?.[1] ?? null });
      }
    }
    const contexts = new Set(found.map((f) => f.context).filter((c) => c !== null));
    if (contexts.size > 1) {
      const second = found.find((f) => f.context === [...contexts][1]) as { file: string };
      throw new SyncError(
        'unreadable',
        `${dir} holds migrations of ${[...contexts].join(' and ')}: sync one DbContext's directory at a time`,
        {
          file: second.file,
        },
      );
    }
    return found
      .sort((a, b) => byCodeUnit(a.id, b.id))
      .map(
        (f, i): Migration => ({
          revision: f.id,
          parents: [],
          description:
            f.id
              .replace(/^\d+_/, '')
              .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
              .toLowerCase() || null,
          file: join(f.file),
          sortKey: [BigInt(i)],
        }),
      );
  },
};
