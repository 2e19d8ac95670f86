import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../examples/reference-server/index.js';

/**
 * The backup `migrate` and the admin run take before they change a database: written under a
 * temporary name, synced, renamed when complete. A SIGKILL in the middle of it leaves nothing an
 * operator restoring "the newest backup" could take for one, and the next run removes what it left.
 */
const repo = join(import.meta.dirname, '../..');
const launcher = join(repo, 'examples/reference-server/server.js');
const root = mkdtempSync(join(tmpdir(), 'ref-backup-'));
const template = join(root, 'template');

beforeAll(async () => {
  if (!existsSync(join(repo, 'dist/examples/reference-server/cli.js')))
    throw new Error('Run npm run build first: these tests run the built server');
  expect(await migrate({ dataDir: template, to: '0003_add_insight_meta_cache' })).toMatchObject({ status: 'migrated' });
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `dir` (the lock aside) with its size, by relative path. */
function tree(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else if (entry !== 'server.lock') out[relative(dir, path)] = st.size;
    }
  };
  walk(dir);
  return out;
}

function run(args: string[], onSpawn?: (child: ReturnType<typeof spawn>) => void) {
  const child = spawn(process.execPath, [launcher, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  child.stdout?.resume();
  onSpawn?.(child);
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stderr })),
  );
}

describe('the reference server backup', () => {
  it('a SIGKILL during the backup leaves no file that looks like a backup; the next run removes the partial one and says so', async () => {
    const parent = join(root, 'kill');
    mkdirSync(parent);
    const data = join(parent, 'data');
    cpSync(template, data, { recursive: true });
    const before = tree(data);
    // Killed the moment the backup's first directory entry appears, whatever it is named.
    const killed = await run(['migrate', '--data', data], (child) => {
      const watcher = watch(parent, (_event, name) => {
        if (name && name !== 'data' && name.includes('backup')) {
          child.kill('SIGKILL');
          watcher.close();
        }
      });
      child.once('close', () => watcher.close());
    });
    expect(killed.signal).toBe('SIGKILL');
    // Whatever is named like a backup (data.backup-<timestamp>) is a whole copy of the data directory.
    for (const entry of readdirSync(parent).filter((e) => e.startsWith('data.backup-'))) {
      expect(tree(join(parent, entry)), entry).toEqual(before);
    }

    const partials = readdirSync(parent).filter((e) => e.includes('.partial-'));
    const again = await run(['migrate', '--data', data]);
    expect(again.code, again.stderr).toBe(0);
    for (const partial of partials) {
      expect(again.stderr).toContain(`removed ${join(parent, partial)}: a backup an interrupted run never finished`);
    }
    expect(readdirSync(parent).filter((e) => e.includes('partial'))).toEqual([]);
    // The second run took its own whole backup before migrating.
    expect(readdirSync(parent).filter((e) => e.startsWith('data.backup-')).length).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
