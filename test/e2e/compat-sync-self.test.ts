import { describe, expect, it } from 'vitest';
import { runCli, sandbox } from '../helpers/cli.js';

// The project uses `compat sync` on itself: compat.json's chain must be the reference server's migrations.
describe('compat.json is true to the reference server', () => {
  it('compat sync examples/reference-server/migrations --check exits 0', async () => {
    const box = sandbox();
    try {
      const r = await runCli(['compat', 'sync', 'examples/reference-server/migrations', '--check', '--compat', 'compat.json'], {
        env: box.env,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      box.cleanup();
    }
  });
});
