import { Config } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

// bin/run.js answers `--version` without loading oclif; it must print exactly what oclif would.
describe('startup shortcuts', () => {
  it('--version prints the line oclif prints (config.userAgent)', async () => {
    const config = await Config.load(ROOT);
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${config.userAgent}\n`);
  });
});
