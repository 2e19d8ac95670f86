import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

// scripts/esbuild-plugins/: each rewrite of scripts/bundle.js is a named plugin, tested here one by one against the
// dependency it edits (as installed), without building the whole CLI.
type Factory = (options?: unknown) => Plugin;
const plugin = async (name: string) =>
  ((await import(new URL(`../../scripts/esbuild-plugins/${name}.js`, import.meta.url).href)) as { default: Factory }).default;
const { HOOKS } = (await import(new URL('../../bin/startup/hooks.js', import.meta.url).href)) as { HOOKS: Record<string, string> };
const { sourceRewrite } = (await import(new URL('../../scripts/esbuild-plugins/source-rewrite.js', import.meta.url).href)) as {
  sourceRewrite(name: string, edits: { file: RegExp; from: string; to: string }[]): Plugin;
};

const dep = (path: string) => join(ROOT, 'node_modules', path);
const work = mkdtempSync(join(tmpdir(), 'handshake-esbuild-plugins-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The text esbuild makes of `files` (not bundled) through `plugins`, joined. */
async function through(plugins: Plugin[], files: string[], options: BuildOptions = {}): Promise<string> {
  const r = await build({
    entryPoints: files,
    outdir: work,
    write: false,
    format: 'cjs',
    platform: 'node',
    logLevel: 'silent',
    plugins,
    ...options,
  });
  // esbuild prints the code anew: double quotes, and its own annotations.
  return (r.outputFiles ?? []).map((f) => f.text.replaceAll('/* @__PURE__ */ ', '')).join('\n');
}

/** Bundles `contents` (CommonJS, resolved from the checkout) and runs it in a fresh node; returns its stdout. */
async function runBundled(plugins: Plugin[], contents: string, options: BuildOptions = {}): Promise<string> {
  const out = join(work, `run-${Math.random().toString(36).slice(2)}.cjs`);
  const r = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    logLevel: 'silent',
    external: ['ora', 'ts-node', 'typescript'],
    plugins,
    ...options,
  });
  writeFileSync(out, r.outputFiles?.[0]?.text ?? '');
  return execFileSync(process.execPath, [out], { encoding: 'utf8' });
}

const loadedBuiltins = "process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule '))))";

describe('source-rewrite (the mechanism)', () => {
  const file = join(work, 'lib.js');
  writeFileSync(file, 'exports.a = "one";\nexports.b = "two";\n');
  const filter = /[\\/]lib\.js$/;

  it('edits of two plugins in one file both apply; a line no longer there or a file not in the build fails it, naming the plugin', async () => {
    const one = sourceRewrite('one', [{ file: filter, from: '"one"', to: '"ONE"' }]);
    const two = sourceRewrite('two', [{ file: filter, from: '"two"', to: '"TWO"' }]);
    const text = await through([one, two], [file]);
    expect(text).toContain('"ONE"');
    expect(text).toContain('"TWO"');
    const gone = sourceRewrite('gone', [{ file: filter, from: '"three"', to: '"3"' }]);
    await expect(through([gone], [file])).rejects.toThrow(/gone: .*lib\.js no longer has: "three"/);
    const elsewhere = sourceRewrite('elsewhere', [{ file: /[\\/]other\.js$/, from: 'x', to: 'y' }]);
    await expect(through([elsewhere], [file])).rejects.toThrow(/elsewhere.*no file in the bundle matched/);
  });
});

describe('undici-h2-on-demand', () => {
  it("undici's client no longer loads node:http2 (nor node:tls) until a connection negotiates h2", async () => {
    const factory = await plugin('undici-h2-on-demand');
    const entry = `require('undici/lib/dispatcher/client.js'); ${loadedBuiltins}`;
    const before = JSON.parse(await runBundled([], entry)) as string[];
    expect(before).toContain('NativeModule http2'); // else the rewrite buys nothing and can go
    const after = JSON.parse(await runBundled([factory()], entry)) as string[];
    expect(after).not.toContain('NativeModule http2');
    expect(after).not.toContain('NativeModule tls');
  });
});

describe('undici-wasm-tier', () => {
  it('undici compiles llhttp through the compileWasm hook of bin/startup/hooks.js, or as before without one', async () => {
    const text = await through([(await plugin('undici-wasm-tier'))()], [dep('undici/lib/dispatcher/client-h1.js')]);
    expect(text).toContain(
      `llhttpInstance = (globalThis[Symbol.for(${JSON.stringify(HOOKS.compileWasm)})] ?? ((compile) => compile()))(lazyllhttp)`,
    );
  });
});

describe('oclif-command-order', () => {
  it("oclif sorts a plugin's commands with the commandOrder hook, or localeCompare without one; commands with aliases refuse the build", async () => {
    const factory = await plugin('oclif-command-order');
    const text = await through([factory({ commands: { a: {} } })], [dep('@oclif/core/lib/config/plugin.js')]);
    expect(text).toContain(`.sort(globalThis[Symbol.for(${JSON.stringify(HOOKS.commandOrder)})] ?? ((a, b) => a.id.localeCompare(b.id)))`);
    expect(() => factory({ commands: { 'compat:check': { aliases: ['cc'] } } })).toThrow(/compat:check has aliases/);
  });
});

describe('oclif-lazy-requires', () => {
  it("oclif's rarely used modules (node:child_process, node:readline, …) load on first use; a binding read at a module's top refuses the build", async () => {
    const factory = await plugin('oclif-lazy-requires');
    const entry = `require('@oclif/core'); ${loadedBuiltins}`;
    const before = JSON.parse(await runBundled([], entry)) as string[];
    expect(before).toContain('NativeModule child_process');
    const after = JSON.parse(await runBundled([factory()], entry)) as string[];
    expect(after).not.toContain('NativeModule child_process');
    expect(after).not.toContain('NativeModule readline');
    const { lazyRequire } = (await import(new URL('../../scripts/esbuild-plugins/oclif-lazy-requires.js', import.meta.url).href)) as {
      lazyRequire(plugin: string, file: string, binding: string, expr: string): { check(source: string): void };
    };
    const edit = lazyRequire('p', 'util/os.js', 'node_child_process_1', 'require("node:child_process")');
    expect(() => edit.check('const node_child_process_1 = require("node:child_process");\nnode_child_process_1.execSync("x");\n')).toThrow(
      /reads node_child_process_1 at its top/,
    );
  });
});

describe('oclif-help-on-demand', () => {
  it("running a command never evaluates oclif's help (main.js takes its argv helpers from help/util.js)", async () => {
    const factory = await plugin('oclif-help-on-demand');
    const files = ['main.js', 'index.js', 'flags.js', 'errors/handle.js'].map((f) => dep(`@oclif/core/lib/${f}`));
    const text = await through([factory()], files);
    expect(text).toContain('help_1 = __lazyModule(() => require("./help"))');
    expect(text).toContain('(0, require("./help/util").normalizeArgv)(');
    expect(text).not.toContain('(0, help_1.normalizeArgv)(');
  });
});

describe('oclif-is-wsl', () => {
  it('oclif asks is-wsl, not wsl-utils (which loads node:child_process at its top)', async () => {
    const text = await through([(await plugin('oclif-is-wsl'))()], [dep('@oclif/core/lib/util/os.js')]);
    expect(text).toContain('return (await import("is-wsl")).default ? "wsl"');
    expect(text).not.toContain('(await import("wsl-utils")).isWsl');
  });
});

describe('dynamic-import', () => {
  it("the bundle's import() calls go through the hook its loader hands in, and import.meta.url is the bundle's URL", async () => {
    const factory = await plugin('dynamic-import');
    const file = join(work, 'imports.mjs');
    writeFileSync(
      file,
      "export const url = import.meta.url;\nexport const load = () => import('node:os');\nexport const text = 'import()';\n",
    );
    const text = await through([factory()], [file], { bundle: true });
    expect(text).toContain('__handshakeImport("node:os")');
    expect(text).toContain('"import()"');
    const out = join(work, 'imports.cjs');
    writeFileSync(out, text);
    const script = `const m = require(${JSON.stringify(out)}); process.stdout.write(m.url);`;
    expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })).toBe(`file://${out}`);
  });
});

describe('ascii-only', () => {
  it('escapes what esbuild leaves non-ASCII; a template literal with such a character refuses the build', async () => {
    const factory = await plugin('ascii-only');
    const file = join(work, 'unicode.js');
    writeFileSync(file, '// naïve\nexports.re = /[–—]/;\n');
    const text = await through([factory()], [file]);
    expect(/[\u0080-\uffff]/.test(text)).toBe(false);
    expect(text).toContain('/[\\u2013\\u2014]/');
    const tagged = join(work, 'tagged.js');
    writeFileSync(tagged, `exports.t = String.raw\`–\${1}\`;\n`);
    await expect(through([factory()], [tagged])).rejects.toThrow(/template literal/);
  });
});
