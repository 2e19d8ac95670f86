import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
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

/**
 * No CLI flag name below `render/` (docs/architecture.md "Rules of the house"): a flag is said by `render/remedy.ts`
 * in the host's words (`--to` on a command line, `{ to: … }` in an SDK call, a vendor's own spelling), so no string
 * or template literal under `src/` outside `render/` spells one of the CLI's own flags as `--name`. Comments may.
 * Read with the TypeScript compiler, so a flag in a comment is never mistaken for one in a literal.
 */

/** The literals of a file that may spell another tool's flag, each with why: not this CLI's words. */
const OTHER_TOOLS_FLAGS: Readonly<Record<string, { text: RegExp; why: string }>> = {
  'src/matrix/sync/order.ts': { text: /makemigrations --merge/, why: "Django's own flag: the command that merges two migration heads" },
};

/** Every flag the CLI's commands define (commands/**: `static flags` and the `…Flags` objects they spread), plus oclif's own. */
function cliFlagNames(): Set<string> {
  const names = new Set(['help', 'version']); // oclif's, on every command
  for (const file of sources('commands')) {
    const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      const holder =
        (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && /Flags$/.test(node.name.text)) ||
        (ts.isPropertyDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'flags');
      const init = holder ? (node as ts.VariableDeclaration | ts.PropertyDeclaration).initializer : undefined;
      if (init && ts.isObjectLiteralExpression(init)) {
        for (const p of init.properties) {
          if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) continue;
          names.add(p.name.text);
          // `allowNo: true` adds `--no-<name>`.
          if (/\ballowNo:\s*true\b/.test(p.initializer.getText(source))) names.add(`no-${p.name.text}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return names;
}

/** The text of every string and template literal of a file, with its line (template parts joined by `${…}`). */
function literalsOf(file: string): Array<{ line: number; text: string }> {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const out: Array<{ line: number; text: string }> = [];
  const at = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push({ line: at(node), text: node.text });
    else if (ts.isTemplateExpression(node)) {
      out.push({ line: at(node), text: [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('{…}') });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** The CLI's own flags a literal spells as `--name`. */
function flagsSpelled(text: string, flags: ReadonlySet<string>): string[] {
  return [...text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1] as string).filter((name) => flags.has(name));
}

describe('the house: no CLI flag name below render/', () => {
  const FLAGS = cliFlagNames();

  it("finds the commands' flags (the rule below cannot pass on nothing): every flag a hint may name is one", async () => {
    const { FLAG_NAMES } = await import('../../src/hint.js');
    for (const flag of ['server', 'timeout', 'compat', 'json', 'to', 'deployment', 'force', 'with-token', 'no-network']) {
      expect(FLAGS).toContain(flag);
    }
    for (const flag of FLAG_NAMES) expect(FLAGS).toContain(flag);
    expect(flagsSpelled('run with `--to 1.4.2` or --with-token; not ---x, a--server or --nope', FLAGS)).toEqual(['to', 'with-token']);
  });

  it('no string or template literal under src/ outside render/ spells one (comments may; other tools’ flags are listed with why)', () => {
    const spelled = SRC.filter((f) => !f.startsWith('src/render/')).flatMap((f) =>
      literalsOf(f)
        .filter((l) => !OTHER_TOOLS_FLAGS[f]?.text.test(l.text))
        .flatMap((l) => flagsSpelled(l.text, FLAGS).map((flag) => `${f}:${l.line}: --${flag} in ${JSON.stringify(l.text.slice(0, 100))}`)),
    );
    expect(spelled).toEqual([]);
  });

  it('each allowed literal of another tool is still there (an allowance that matches nothing is stale)', () => {
    for (const [file, allowed] of Object.entries(OTHER_TOOLS_FLAGS)) {
      expect(literalsOf(file).some((l) => allowed.text.test(l.text))).toBe(true);
    }
  });
});
