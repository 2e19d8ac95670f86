import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/**
 * The direction of the arrows (docs/architecture.md): every import points down. `commands/` sits on top;
 * `src/render/` is the only place facts and hints become words, so nothing else under `src/` imports it
 * (`src/index.ts`, the public SDK surface, re-exports it and is exempt); nothing under `src/` imports
 * `commands/`. Read from the sources, so it needs no build.
 */

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(path);
    return /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module a file imports or re-exports (static, dynamic, type-only), as a path relative to the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1] as string);
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).replaceAll('\\', '/'));
}

const SRC = sources('src');

describe('the house: every import points down', () => {
  it('finds the sources and their imports (the rule below cannot pass on nothing)', () => {
    expect(SRC.length).toBeGreaterThan(50);
    expect(importsOf('src/index.ts')).toContain('src/render/sanitize.js');
  });

  it('no file under src/ outside render/ imports src/render/ (src/index.ts, the SDK surface, re-exports it)', () => {
    const up = SRC.filter((f) => !f.startsWith('src/render/') && f !== 'src/index.ts').flatMap((f) =>
      importsOf(f)
        .filter((i) => i.startsWith('src/render/'))
        .map((i) => `${f} → ${i}`),
    );
    expect(up).toEqual([]);
  });

  it('nothing under src/ imports commands/', () => {
    const up = SRC.flatMap((f) =>
      importsOf(f)
        .filter((i) => i.startsWith('commands/'))
        .map((i) => `${f} → ${i}`),
    );
    expect(up).toEqual([]);
  });

  it('hints are said in render/ alone: no file under src/ outside render/ calls remedyText', () => {
    const saying = SRC.filter((f) => !f.startsWith('src/render/') && /\bremedyText\s*\(/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(saying).toEqual([]);
  });
});

describe('one IO: commands/ reach the process only through commands/_lib/io.ts (docs/architecture.md "One IO")', () => {
  // homeless.ts runs in a bin before any command (it fixes the process's own HOME and SHELL for oclif).
  const EXEMPT = new Set(['commands/_lib/io.ts', 'commands/_lib/homeless.ts']);
  const PROCESS = /\bprocess\.(stdout|stderr|stdin|env|exitCode|exit|on|once|off|removeListener|addListener)\b/;

  it('finds the commands (the rule below cannot pass on nothing), and the rule sees a use of the process', () => {
    expect(sources('commands').length).toBeGreaterThan(15);
    expect(PROCESS.test(readFileSync(join(ROOT, 'commands/_lib/io.ts'), 'utf8'))).toBe(true);
  });

  it('no file under commands/ but io.ts touches process.stdout, stderr, stdin, env, the exit code or its signals', () => {
    const touching = sources('commands')
      .filter((f) => !EXEMPT.has(f))
      .flatMap((f) =>
        readFileSync(join(ROOT, f), 'utf8')
          .split('\n')
          .flatMap((line, i) => (PROCESS.test(line) && !/^\s*(\/\/|\*)/.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(touching).toEqual([]);
  });
});
