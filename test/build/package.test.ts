import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

interface PackResult {
  files: { path: string }[];
}

/** The module specifiers code names: `from '…'`, `import '…'`, `import('…')`, `require('…')`. */
function specifiersIn(code: string): string[] {
  return [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(["'])([^"'\s]+)\1/g)].map((m) => m[2] as string);
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

  it('holds what a user needs: the CLI (and its bundle), the SDK with types, the server half, the matrix and its schema, the protocol and its schema', () => {
    for (const f of [
      'bin/run.js',
      'bin/startup/code-cache.js',
      'dist/cli.cjs',
      'dist/plugin.cjs',
      'dist/plugin/compat/check.js',
      'dist/compat.validated.json',
      'package.json',
      'README.md',
      'LICENSE',
      'compat.json',
      'compat.schema.json',
      'version-document.schema.json',
      'docs/protocol.md',
      'oclif.manifest.json',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/server/index.js',
      'dist/src/server/index.d.ts',
      'dist/src/server/express.js',
      'dist/src/server/fastify.js',
      'dist/src/server/fetch.js',
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
        !/^(bin\/run\.js|package\.json|README\.md|LICENSE|compat\.json|compat\.schema\.json|version-document\.schema\.json|docs\/[\w-]+\.md|oclif\.manifest\.json)$/.test(
          f,
        ) &&
        !/^bin\/startup\/[\w-]+\.js$/.test(f) &&
        f !== 'dist/cli.cjs' &&
        f !== 'dist/plugin.cjs' &&
        !/^dist\/plugin\/.+\.js$/.test(f) &&
        f !== 'dist/compat.validated.json' &&
        !/^dist\/(src|commands)\/.+\.(js|d\.ts)$/.test(f),
    );
    expect(unexpected).toEqual([]);
  });

  it('ships its docs, names its repository, and every link in a shipped page leads to a shipped file or an absolute URL', () => {
    // From node_modules, a relative link to a file the package does not ship is dead (docs/embedding.md).
    const pages = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
    for (const page of pages) expect(files).toContain(`docs/${page}`);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { repository?: { url?: string }; homepage?: string };
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    const dead: string[] = [];
    for (const page of files.filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(join(ROOT, page), 'utf8');
      for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
        const path = posix.normalize(posix.join(posix.dirname(page), target.split('#')[0] ?? ''));
        if (!files.includes(path) && !files.some((f) => f.startsWith(`${path.replace(/\/$/, '')}/`))) dead.push(`${page}: ${target}`);
      }
    }
    expect(dead).toEqual([]);
  });

  it('handshake-compat/guard, which a vendor’s bin imports on every command, imports nothing but Node’s own', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { default: string; types: string }>;
    };
    const guard = pkg.exports['./guard'];
    for (const f of [guard?.default, guard?.types]) expect(files).toContain(posix.normalize(f ?? 'missing'));
    const code = readFileSync(join(ROOT, guard?.default ?? 'missing'), 'utf8');
    const specifiers = specifiersIn(code);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !s.startsWith('node:'))).toEqual([]);
    expect(code).toContain('export function guardHomelessProcess');
  });

  it('every command in the manifest is in the package', () => {
    const commands = files.filter((f) => /^dist\/commands\/(?!_lib\/).+\.js$/.test(f));
    expect(commands.length).toBeGreaterThanOrEqual(5);
  });

  it('is published under a name of its own, and every install command the CLI prints names it', () => {
    // The unscoped `handshake` on the registry is an unrelated project (README.md).
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };
    const matrix = JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8')) as { cli: { package: string; bin: string } };
    expect(pjson.name).not.toBe('handshake');
    expect(matrix.cli.package).toBe(pjson.name);
    expect(Object.keys(pjson.bin)).toEqual(['handshake']);
    expect(matrix.cli.bin).toBe('handshake');
  });

  // What `npm install -g handshake-compat` downloads: the CLI's and the SDK's own dependencies, nothing the
  // examples or the tests use (the reference server's PGlite is 27 MB). BENCHMARKS.md reports the installed size.
  const RUNTIME = [
    '@oclif/core',
    '@oclif/plugin-autocomplete',
    '@oclif/plugin-help',
    'ansis',
    'ora',
    'proper-lockfile',
    'semver',
    'shell-quote',
    'undici',
    'wrap-ansi',
    'zod',
  ];

  it('depends at run time on exactly what the CLI and the SDK load', () => {
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pjson.dependencies).sort()).toEqual([...RUNTIME].sort());
  });

  it('and every package the packed code imports is one of them (or Node’s own)', () => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const isBuiltin = (s: string) => builtins.has(s) || s.startsWith('node:');
    // oclif requires these only in its development mode (a plugin run from TypeScript sources), never in a package.
    const devModeOnly = new Set(['typescript', 'ts-node']);
    const imported = new Set<string>();
    for (const f of files.filter((p) => /\.c?js$/.test(p))) {
      const code = readFileSync(join(ROOT, f), 'utf8');
      for (const spec of specifiersIn(code)) {
        if (spec.startsWith('.')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
        if (!isBuiltin(spec) && !builtins.has(name) && !devModeOnly.has(name) && name !== 'handshake-compat') imported.add(name);
      }
    }
    expect([...imported].sort()).toEqual(RUNTIME.filter((d) => imported.has(d)).sort());
    expect(imported).toContain('undici');
    expect(imported).not.toContain('@electric-sql/pglite');
  });
});
