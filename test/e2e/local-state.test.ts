// What handshake keeps on disk never costs a user a command or a server (docs/commands.md, "Local state"):
// concurrent config writers lose nothing, a symlinked config is written through, a stale lock is taken over.
import { lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, sandbox } from '../helpers/cli.js';

const boxes: ReturnType<typeof sandbox>[] = [];
afterAll(() => {
  for (const b of boxes) b.cleanup();
});
function box() {
  const b = sandbox();
  boxes.push(b);
  return b;
}
const configFile = (b: ReturnType<typeof sandbox>) => join(b.env.XDG_CONFIG_HOME as string, 'handshake', 'config.json');

describe('the config file under concurrent writers', () => {
  it('eight `server add` at once keep all eight servers and their tokens', async () => {
    const b = box();
    const names = Array.from({ length: 8 }, (_, i) => `s${i}`);
    const runs = await Promise.all(
      names.map((name, i) =>
        runCli(['server', 'add', name, `http://127.0.0.1:${9000 + i}`, '--with-token'], {
          env: b.env,
          input: `token-of-${name}\n`,
          timeoutMs: 90_000,
        }),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(configFile(b), 'utf8')) as { servers: Record<string, { url: string; token?: string }> };
    expect(Object.keys(config.servers).sort()).toEqual(names);
    for (const [i, name] of names.entries()) {
      expect(config.servers[name]).toEqual({ url: `http://127.0.0.1:${9000 + i}`, token: `token-of-${name}` });
    }
    expect(statSync(configFile(b)).mode & 0o777).toBe(0o600);
  }, 120_000);

  it('a lock left by a killed writer is taken over', async () => {
    const b = box();
    const file = configFile(b);
    mkdirSync(`${file}.lock`, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    const r = await runCli(['server', 'add', 'prod', 'http://127.0.0.1:9'], { env: b.env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).servers.prod.url).toBe('http://127.0.0.1:9');
  }, 90_000);

  it('a symlinked config is written through, the link kept', async () => {
    const b = box();
    const file = configFile(b);
    const real = join(b.dir, 'dotfiles', 'handshake.json');
    mkdirSync(join(b.dir, 'dotfiles'));
    mkdirSync(join(b.env.XDG_CONFIG_HOME as string, 'handshake'), { recursive: true });
    writeFileSync(real, '{"servers":{"a":{"url":"http://127.0.0.1:1"}}}\n', { mode: 0o600 });
    symlinkSync(real, file);
    const r = await runCli(['server', 'add', 'b', 'http://127.0.0.1:2'], { env: b.env });
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readlinkSync(file)).toBe(real);
    expect(Object.keys(JSON.parse(readFileSync(real, 'utf8')).servers).sort()).toEqual(['a', 'b']);
  });

  it('a symlinked config pointing nowhere is refused naming both, exit 2', async () => {
    const b = box();
    const file = configFile(b);
    mkdirSync(join(b.env.XDG_CONFIG_HOME as string, 'handshake'), { recursive: true });
    const gone = join(b.dir, 'nowhere.json');
    symlinkSync(gone, file);
    const r = await runCli(['server', 'add', 'b', 'http://127.0.0.1:2'], { env: b.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(gone);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
  });
});
