import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { HandshakeCache } from '../../src/cache/cache.js';
import { ROOT, sandbox } from '../helpers/cli.js';

// Needs the build: the 50 processes import the compiled cache (dist/src/cache/cache.js). `npm test` builds first.
// Bundled into one file first: importing its ~270 modules (zod's among them) was 60 % of each process's CPU, and 50
// of them at once were 7 % of the suite's.
const url = new URL('http://127.0.0.1:8080/');
let box = sandbox();
afterEach(() => {
  box.cleanup();
  box = sandbox();
});

describe('HandshakeCache across processes', () => {
  it('50 processes writing at once leave a readable entry and no temp files', async () => {
    const dir = join(box.dir, 'c');
    const bundle = join(box.dir, 'cache.mjs');
    const entry = join(ROOT, 'dist/src/cache/cache.js');
    buildSync({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile: bundle, logLevel: 'error' });
    const moduleUrl = pathToFileURL(bundle).href;
    const script = `
      const { HandshakeCache } = await import(${JSON.stringify(moduleUrl)});
      const cache = new HandshakeCache(process.argv[1]);
      const doc = { server_version: '1.4.' + process.pid % 100, schema_revision: '0005_add_retention_policy', min_cli_version: null,
        max_cli_version: null, recommended_cli_version: null, api_version: null, pending_migrations: [], deployment: null, migration_status: null };
      for (let i = 0; i < 20; i++) {
        if (!cache.write(new URL('http://127.0.0.1:8080/'), doc, Date.now())) process.exit(1);
        cache.read(new URL('http://127.0.0.1:8080/'));
      }
    `;
    const runs = Array.from(
      { length: 50 },
      () =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { cwd: ROOT, stdio: 'ignore' });
          child.on('close', resolve);
        }),
    );
    expect(await Promise.all(runs)).toEqual(Array(50).fill(0));
    const cache = new HandshakeCache(dir);
    expect(cache.read(url)?.document.schema_revision).toBe('0005_add_retention_policy');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // 50 Node processes on a loaded 2-core machine take their time: a generous bound, never a timed assertion.
  }, 180_000);
});
