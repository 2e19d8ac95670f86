// Bundles the `handshake` bin into one file, dist/cli.js: oclif, every command, the SDK and its
// dependencies. Loading one file instead of ~450 modules is most of what makes a command start fast
// (BENCHMARKS.md). Only bin/run.js uses it; dist/src and dist/commands stay as tsc wrote them, for the
// SDK (`handshake`, `handshake/server`), `handshake/oclif` and vendors mounting the commands as a plugin.
//
// The commands are exported as `COMMANDS` for oclif's explicit discovery strategy, taken from the oclif
// manifest (built from dist/commands just before), so the bundle can never miss a command oclif lists.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'));
const commands = Object.entries(manifest.commands).map(([id, c], i) => ({ id, name: `Command${i}`, path: c.relativePath.join('/') }));
if (commands.length === 0) throw new Error('scripts/bundle.js: the oclif manifest lists no commands');

// oclif's help class and hooks go into the bundle too, each exported under a name, and `OCLIF` tells bin/run.js
// where oclif finds them in it (oclif's `{ target, identifier }` form). package.json keeps the plain paths, for
// a vendor that mounts handshake as a plugin.
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const rel = (p) => `./${p.replace(/^\.\//, '')}`;
const hooks = Object.entries(pjson.oclif.hooks ?? {}).flatMap(([event, targets]) =>
  [targets].flat().map((target, i) => ({ event, target, name: `HOOK_${event.replace(/[^A-Za-z0-9]/g, '_')}_${i}` })),
);
const helpClass = pjson.oclif.helpClass;
if (helpClass !== undefined && typeof helpClass !== 'string') throw new Error('scripts/bundle.js: oclif.helpClass must be a path');
const at = (identifier) => ({ target: './dist/cli.cjs', identifier });
const oclif = {
  commands: { strategy: 'explicit', target: './dist/cli.cjs', identifier: 'COMMANDS' },
  ...(helpClass ? { helpClass: at('HELP') } : {}),
  hooks: Object.fromEntries(
    Object.keys(pjson.oclif.hooks ?? {}).map((e) => [e, hooks.filter((h) => h.event === e).map((h) => at(h.name))]),
  ),
};

// bin/run.js leaves the plugins (help, autocomplete) unloaded when the command line names one of handshake's own
// commands: oclif reads each plugin's package.json and manifest, and resolves its root, on every start (≈ 10 ms),
// for commands the run never uses. That is only sound while no plugin could take part in such a run, so the build
// checks it: no plugin command has the id of one of ours or one under it, and a plugin's hooks are only ones a command of ours
// never fires (plugin-plugins' install events).
const IDLE_HOOKS = new Set([
  'plugins:preinstall',
  'plugins:postinstall',
  'plugins:postuninstall',
  'plugins:preupdate',
  'plugins:postupdate',
]);
for (const name of pjson.oclif.plugins ?? []) {
  const dir = join(root, 'node_modules', ...name.split('/'));
  const plugin = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const busy = Object.keys(plugin.oclif?.hooks ?? {}).filter((e) => !IDLE_HOOKS.has(e));
  if (busy.length)
    throw new Error(
      `scripts/bundle.js: plugin ${name} has hooks a handshake command may fire (${busy.join(', ')}); bin/run.js leaves plugins out of those commands`,
    );
  const theirs = Object.keys(JSON.parse(readFileSync(join(dir, 'oclif.manifest.json'), 'utf8')).commands);
  const clash = theirs.filter((id) => commands.some((c) => id === c.id || id.startsWith(`${c.id}:`)));
  if (clash.length) throw new Error(`scripts/bundle.js: plugin ${name} has commands at or under handshake's own ids (${clash.join(', ')})`);
}

const getter = (name, path) => `get ${JSON.stringify(name)}() { return require(${JSON.stringify(path)}).default; }`;
const entry = [
  // CommonJS, every member a getter around require(), which esbuild turns into a lazy init of that module: each
  // command, the help class and the hooks are evaluated when oclif first asks for them. `compat check` never runs
  // doctor's top level (node:tls), nor the help class's (oclif's help, its formatter and docopts).
  'module.exports = {',
  `  COMMANDS: { ${commands.map((c) => getter(c.id, `./${c.path}`)).join(', ')} },`,
  ...(helpClass ? [`  ${getter('HELP', rel(helpClass))},`] : []),
  ...hooks.map((h) => `  ${getter(h.name, rel(h.target))},`),
  `  OCLIF: ${JSON.stringify(oclif)},`,
  `  COMMAND_IDS: ${JSON.stringify(commands.map((c) => c.id))},`,
  "  get execute() { return require('@oclif/core').execute; },",
  '};',
].join('\n');

// Source rewrites that defer a module to its first use, each checked: a dependency's update that changes the line
// fails the build instead of silently loading the module again.
//  - undici's client requires its HTTP/2 half at the top, which loads node:http2 (and node:tls with it), ≈ 7 ms of
//    every command's startup; it runs only for a connection that negotiated h2 (an agent with allowH2).
const deferred = [
  {
    file: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/,
    from: "const connectH2 = require('./client-h2.js')",
    to: "let connectH2Loaded\nconst connectH2 = (...args) => (connectH2Loaded ??= require('./client-h2.js'))(...args)",
  },
  //  - undici compiles its WebAssembly llhttp on the first connection; bin/run.js lets V8 use only its baseline
  //    tier for that one compile (Symbol.for('handshake.compileWasm')), which it can do only around the compile.
  {
    file: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h1\.js$/,
    from: '    llhttpInstance = lazyllhttp()\n',
    to: "    llhttpInstance = (globalThis[Symbol.for('handshake.compileWasm')] ?? ((compile) => compile()))(lazyllhttp)\n",
  },
  //  - oclif sorts each plugin's commands with localeCompare when it loads the plugin, and the first collation of
  //    a process creates ICU's collator, ≈ 7 ms. bin/run.js hands in a plain code-unit order (under
  //    Symbol.for('handshake.commandOrder')) for the runs where the order is never seen: one of handshake's own
  //    commands, no plugins, no help, no suggestions (the commands have no aliases to collide: the build checks).
  {
    file: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/,
    from: '.sort((a, b) => a.id.localeCompare(b.id));',
    to: ".sort(globalThis[Symbol.for('handshake.commandOrder')] ?? ((a, b) => a.id.localeCompare(b.id)));",
  },
];
//  - oclif's modules require, at their top, modules that only some runs call into: node:child_process (WSL's
//    shell), node:readline (flags read from stdin), minimatch and tinyglobby (plugin and command discovery by
//    pattern), ejs (templated config), lilconfig (a plugin's package.json), and its error printer's wrap-ansi,
//    indent-string and clean-stack. TypeScript's output reads such a module's members only when it calls them
//    (`(0, node_child_process_1.execSync)(…)`, never at the top: the build checks that too), so each becomes a
//    proxy that requires it on the first member read: ≈ 5 ms of node:child_process, node:readline and the globbers.
const lazyRequires = [
  // oclif's help (its index: the help classes, formatter, docopts, root help) only for help and errors; main.js
  // and command.js take their argv helpers from help/util.js (below), as config.js already does.
  ['main.js', 'help_1', 'require("./help")'],
  ['index.js', 'help_1', 'require("./help")', 'var'],
  ['flags.js', 'help_1', 'require("./help")'],
  ['errors/handle.js', 'index_1', 'require("../help/index")'],
  ['help/util.js', 'ejs_1', '__importDefault(require("ejs"))'],
  ['parser/parse.js', 'node_readline_1', 'require("node:readline")'],
  ['util/os.js', 'node_child_process_1', 'require("node:child_process")'],
  ['config/plugin-loader.js', 'minimatch_1', 'require("minimatch")'],
  ['config/plugin.js', 'tinyglobby_1', 'require("tinyglobby")'],
  ['config/config.js', 'ejs_1', '__importDefault(require("ejs"))'],
  ['util/read-pjson.js', 'lilconfig_1', 'require("lilconfig")'],
  ['errors/handle.js', 'clean_stack_1', '__importDefault(require("clean-stack"))'],
  ['errors/errors/pretty-print.js', 'indent_string_1', '__importDefault(require("indent-string"))'],
  ['errors/errors/pretty-print.js', 'wrap_ansi_1', '__importDefault(require("wrap-ansi"))'],
  ['errors/errors/cli.js', 'clean_stack_1', '__importDefault(require("clean-stack"))'],
  ['errors/errors/cli.js', 'indent_string_1', '__importDefault(require("indent-string"))'],
  ['errors/errors/cli.js', 'wrap_ansi_1', '__importDefault(require("wrap-ansi"))'],
];
const LAZY =
  'function __lazyModule(load) { let m; const get = () => (m ??= load()); return new Proxy({}, { get: (_, k) => get()[k], has: (_, k) => k in get(), ownKeys: () => Reflect.ownKeys(get()), getOwnPropertyDescriptor: (_, k) => { const d = Reflect.getOwnPropertyDescriptor(get(), k); return d && { ...d, configurable: true }; } }); }';
for (const [file, binding, expr, kind = 'const'] of lazyRequires) {
  deferred.push({
    file: new RegExp(`[\\\\/]@oclif[\\\\/]core[\\\\/]lib[\\\\/]${file.replace(/[./]/g, (c) => (c === '.' ? '\\.' : '[\\\\/]'))}$`),
    from: `${kind} ${binding} = ${expr};`,
    to: `${kind} ${binding} = __lazyModule(() => ${expr});`,
    check: (source) => {
      const top = source
        .split('\n')
        .filter(
          (l) =>
            /^\S/.test(l) &&
            l.includes(binding) &&
            !l.startsWith(`${kind} ${binding} = `) &&
            !/^Object\.defineProperty\(exports, "\w+", \{ enumerable: true, get: function \(\) \{ return \w+\.\w+; \} \}\);$/.test(l),
        );
      if (top.length) throw new Error(`scripts/bundle.js: ${file} reads ${binding} at its top: ${top[0]}`);
    },
    prelude: LAZY,
  });
}
//  - main.js's argv helpers, straight from help/util.js (the help index re-exports the same functions).
for (const fn of ['normalizeArgv', 'getHelpFlagAdditions']) {
  deferred.push({
    file: /[\\/]@oclif[\\/]core[\\/]lib[\\/]main\.js$/,
    from: `(0, help_1.${fn})(`,
    to: `(0, require("./help/util").${fn})(`,
  });
}
if (!/^exports\.normalizeArgv = normalizeArgv;$/m.test(readFileSync(join(root, 'node_modules/@oclif/core/lib/help/util.js'), 'utf8')))
  throw new Error('scripts/bundle.js: oclif help/util.js no longer defines normalizeArgv');
//  - oclif asks wsl-utils whether this is WSL on every start; wsl-utils loads node:child_process, node:fs/promises
//    and powershell-utils at its top to answer with is-wsl's value, which it re-exports. oclif asks is-wsl itself.
deferred.push({
  file: /[\\/]@oclif[\\/]core[\\/]lib[\\/]util[\\/]os\.js$/,
  from: "return (await import('wsl-utils')).isWsl ? 'wsl'",
  to: "return (await import('is-wsl')).default ? 'wsl'",
});
if (!readFileSync(join(root, 'node_modules', 'wsl-utils', 'index.js'), 'utf8').includes("export {default as isWsl} from 'is-wsl';"))
  throw new Error("scripts/bundle.js: wsl-utils's isWsl is no longer is-wsl's");
for (const [id, c] of Object.entries(manifest.commands)) {
  if ((c.aliases ?? []).length || (c.hiddenAliases ?? []).length)
    throw new Error(`scripts/bundle.js: ${id} has aliases; bin/run.js's plain command order assumes none can collide`);
}
const deferPlugin = {
  name: 'defer',
  setup(b) {
    // One onLoad per file: several rewrites may apply to the same one.
    const files = [...new Set(deferred.map((d) => d.file.source))].map((src) => deferred.filter((d) => d.file.source === src));
    for (const group of files) {
      b.onLoad({ filter: group[0].file }, (args) => {
        let source = readFileSync(args.path, 'utf8');
        const preludes = new Set();
        for (const d of group) {
          if (!source.includes(d.from)) throw new Error(`scripts/bundle.js: ${args.path} no longer has: ${d.from}`);
          d.check?.(source);
          source = source.replace(d.from, d.to);
          if (d.prelude) preludes.add(d.prelude);
          d.applied = true;
        }
        // After the file's "use strict": code before it would turn the directive into a plain string.
        const strict = /^(?:#!.*\n)?\s*(['"])use strict\1;?\n?/.exec(source)?.[0] ?? '';
        const prelude = [...preludes].map((p) => `${p}\n`).join('');
        return { contents: `${strict}${prelude}${source.slice(strict.length)}`, loader: 'js' };
      });
    }
  },
};

const built = await build({
  plugins: [deferPlugin],
  stdin: { contents: entry, resolveDir: root, sourcefile: 'cli-entry.js', loader: 'js' },
  outfile: join(root, 'dist', 'cli.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Loaded on demand from node_modules: ora only where a spinner shows; ts-node and typescript only in oclif's development mode.
  external: ['ora', 'ts-node', 'typescript'],
  // CommonJS, so that bin/run.js can compile it with V8's code cache (vm.Script cachedData on Node 20, the
  // module compile cache from 22.1); the ESM sources' import.meta.url is the bundle's own URL. A dynamic
  // import() (oclif loading a plugin's ESM commands, ora) goes through __handshakeImport: on Node 20 bin/run.js
  // hands in its own import(), since a vm.Script's import() needs an experimental vm option.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: {
    js: [
      "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;",
      "const __handshakeImport = typeof __handshakeImportHook === 'function' ? __handshakeImportHook : (s) => import(s);",
    ].join('\n'),
  },
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const d of deferred) if (!d.applied) throw new Error(`scripts/bundle.js: no file in the bundle matched ${d.file}`);
// Every import( call but the banner's fallback (and the string "import()" in oclif's error messages).
const [banner, ...rest] = built.outputFiles[0].text.split('(s) => import(s);');
const text = [banner, rest.join('(s) => import(s);').replace(/(?<![\w$.])import\((?!\))/g, '__handshakeImport(')].join('(s) => import(s);');
// ASCII only, so bin/run.js can read the bundle as latin1 into a one-byte string: a single non-ASCII character makes
// the whole 1.8 MB a two-byte string, decoded from UTF-8 in ≈ 6 ms instead of ≈ 1. esbuild escapes strings already;
// what it leaves are a few comments and a regular expression's character class, where `\uXXXX` (per UTF-16 unit, as
// a regular expression without the u flag needs) means the same. It would not in a tagged template's raw text: a
// line outside a comment that has both a backtick and such a character fails the build, to be looked at.
for (const line of text.split('\n')) {
  if (!/[\u0080-\uffff]/.test(line) || !line.includes('`')) continue;
  const t = line.trim();
  if (t.startsWith('*') || t.startsWith('/*') || t.startsWith('//')) continue;
  throw new Error(`scripts/bundle.js: a non-ASCII character on a line with a template literal: ${t.slice(0, 120)}`);
}
const ascii = text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
writeFileSync(join(root, 'dist', 'cli.cjs'), ascii);
