import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

// Needs the build: the README's and docs/'s sample outputs are what the built CLI prints
// (scripts/readme-samples.js, run by `npm run docs:samples`). `npm test` builds first.
describe('the documentation, against the built CLI', () => {
  it('every sample block is what the CLI prints now', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/readme-samples.js'), '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/samples match/);
    expect(r.status).toBe(0);
  });
});
