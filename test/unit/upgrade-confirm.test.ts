import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { IO, OutputStream } from '../../commands/_lib/io.js';
import { UpgradeProgress } from '../../commands/_lib/upgrade-progress.js';
import type { UpgradePlan } from '../../src/upgrade/plan.js';

/** What `server upgrade` asks before the server's own migration run: the count said in English (src/text.ts). */
async function question(migrations: number): Promise<string> {
  const stderr = new PassThrough();
  let said = '';
  stderr.on('data', (c: Buffer) => {
    said += c.toString('utf8');
  });
  const io: IO = {
    stdout: new PassThrough() as OutputStream,
    stderr: stderr as OutputStream,
    stdin: { isTTY: true, fd: -1, stream: Readable.from(['n\n']) as unknown as NodeJS.ReadStream },
    env: {},
    now: () => 0,
    onSignal: () => {},
    offSignal: () => {},
    exitCode: undefined,
    exit: () => {
      throw new Error('exit');
    },
  };
  const sink = { err: (t: string) => stderr.write(t), clean: (t: string) => t, color: false };
  const progress = await UpgradeProgress.start(sink, 2000, 600_000, io);
  const names = Array.from({ length: migrations }, (_, i) => `000${i}_m`);
  const plan = { hops: [{}], target: '1.4.2', server_migration: { migrations: names } } as unknown as UpgradePlan;
  expect(await progress.confirm(plan)).toBe(false);
  progress.stop();
  return said;
}

describe('server upgrade asks before the server migrates', () => {
  it('one pending migration, or many: no "migration(s)"', async () => {
    expect(await question(1)).toContain('Ask the server to back up and apply its 1 pending migration now? [y/N] ');
    expect(await question(3)).toContain('Ask the server to back up and apply its 3 pending migrations now? [y/N] ');
  });
});
