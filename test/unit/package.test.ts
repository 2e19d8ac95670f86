import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

interface PackResult {
  files: { path: string }[];
}

describe('the published package', () => {
  // npm pack --dry-run lists exactly what `npm publish` would upload.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as PackResult[];
  const files = (packed[0]?.files ?? []).map((f) => f.path);

  it('holds what a user needs: the CLI (and its bundle), the SDK with types, the server half, the matrix and its schema', () => {
    for (const f of [
      'bin/run.js',
      'dist/cli.js',
      'package.json',
      'README.md',
      'LICENSE',
      'compat.json',
      'compat.schema.json',
      'oclif.manifest.json',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/server/index.js',
      'dist/src/server/index.d.ts',
      'dist/commands/_lib/index.js',
      'dist/commands/compat/check.js',
      'dist/commands/api.js',
    ]) {
      expect(files).toContain(f);
    }
  });

  it('and nothing else: no sources, tests, examples, benchmarks, maps or build state', () => {
    const unexpected = files.filter(
      (f) =>
        !/^(bin\/run\.js|package\.json|README\.md|LICENSE|compat\.json|compat\.schema\.json|oclif\.manifest\.json)$/.test(f) &&
        f !== 'dist/cli.js' &&
        !/^dist\/(src|commands)\/.+\.(js|d\.ts)$/.test(f),
    );
    expect(unexpected).toEqual([]);
  });

  it('every command in the manifest is in the package', () => {
    const commands = files.filter((f) => /^dist\/commands\/(?!_lib\/).+\.js$/.test(f));
    expect(commands.length).toBeGreaterThanOrEqual(5);
  });

  it('is published under a name of its own, and every install command the CLI prints names it', () => {
    // The unscoped `handshake` on the registry is an unrelated project (CONTRACT §4).
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };
    const matrix = JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8')) as { cli: { package: string; bin: string } };
    expect(pjson.name).not.toBe('handshake');
    expect(matrix.cli.package).toBe(pjson.name);
    expect(Object.keys(pjson.bin)).toEqual(['handshake']);
    expect(matrix.cli.bin).toBe('handshake');
  });
});
