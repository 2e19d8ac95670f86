// Bundles the `handshake` bin into one file, dist/cli.cjs: oclif, every command, the SDK and its
// dependencies. Loading one file instead of ~450 modules is most of what makes a command start fast
// (BENCHMARKS.md). Only bin/run.js uses it; dist/src and dist/commands stay as tsc wrote them, for the
// SDK (`handshake`, `handshake/server`), `handshake/oclif` and vendors mounting the commands as a plugin.
//
// The commands are exported as `COMMANDS` for oclif's explicit discovery strategy, taken from the oclif
// manifest (built from dist/commands just before), so the bundle can never miss a command oclif lists.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import asciiOnly from './esbuild-plugins/ascii-only.js';
import dynamicImport from './esbuild-plugins/dynamic-import.js';
import oclifCommandOrder from './esbuild-plugins/oclif-command-order.js';
import oclifHelpOnDemand from './esbuild-plugins/oclif-help-on-demand.js';
import oclifIsWsl from './esbuild-plugins/oclif-is-wsl.js';
import oclifLazyRequires from './esbuild-plugins/oclif-lazy-requires.js';
import undiciH2OnDemand from './esbuild-plugins/undici-h2-on-demand.js';
import undiciWasmTier from './esbuild-plugins/undici-wasm-tier.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'));
// tsc's output of each command (the manifest points at dist/plugin/ once this has run: below).
const commands = Object.entries(manifest.commands).map(([id, c], i) => ({
  id,
  name: `Command${i}`,
  path: c.relativePath.join('/').replace(/^dist\/plugin\//, 'dist/commands/'),
}));
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

// Each rewrite of a dependency's source, and of the bundle's text, is a named plugin of its own
// (scripts/esbuild-plugins/, one test each in test/unit/esbuild-plugins.test.ts); bench/NOTES.md says what each buys.
const built = await build({
  plugins: [
    undiciH2OnDemand(),
    undiciWasmTier(),
    oclifCommandOrder({ commands: manifest.commands }),
    oclifLazyRequires(),
    oclifHelpOnDemand(),
    oclifIsWsl(),
    dynamicImport(),
    asciiOnly(),
  ],
  stdin: { contents: entry, resolveDir: root, sourcefile: 'cli-entry.js', loader: 'js' },
  outfile: join(root, 'dist', 'cli.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Loaded on demand from node_modules: ora only where a spinner shows; ts-node and typescript only in oclif's development mode.
  external: ['ora', 'ts-node', 'typescript'],
  // CommonJS, so that bin/run.js can compile it with V8's code cache (scripts/esbuild-plugins/dynamic-import.js).
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});
writeFileSync(join(root, 'dist', 'cli.cjs'), built.outputFiles[0].text);

// The same commands for a vendor's CLI that mounts handshake as an oclif plugin (bin/startup/plugin.js): one bundle
// of the commands, the SDK and their dependencies but oclif, which the vendor's own @oclif/core is (as when it
// loaded dist/commands); oclif's manifest, which a mounting CLI reads to find a command's file, points each command
// at a two-line module in dist/plugin/ that takes its class from that bundle. handshake's own bin never reads them.
const pluginBuilt = await build({
  plugins: [undiciH2OnDemand(), undiciWasmTier(), dynamicImport(), asciiOnly()],
  stdin: {
    contents: `module.exports = { COMMANDS: { ${commands.map((c) => getter(c.id, `./${c.path}`)).join(', ')} } };`,
    resolveDir: root,
    sourcefile: 'plugin-entry.js',
    loader: 'js',
  },
  outfile: join(root, 'dist', 'plugin.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['@oclif/core', '@oclif/core/*', 'ora', 'ts-node', 'typescript'],
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});
writeFileSync(join(root, 'dist', 'plugin.cjs'), pluginBuilt.outputFiles[0].text);
const pluginModule = join(root, 'bin', 'startup', 'plugin.js');
for (const [id, c] of Object.entries(manifest.commands)) {
  const relativePath = ['dist', 'plugin', ...id.split(':')];
  relativePath.push(`${relativePath.pop()}.js`);
  const stub = join(root, ...relativePath);
  mkdirSync(dirname(stub), { recursive: true });
  const from = relative(dirname(stub), pluginModule).split('\\').join('/');
  writeFileSync(stub, `import { COMMANDS } from '${from}';\nexport default COMMANDS[${JSON.stringify(id)}];\n`);
  c.relativePath = relativePath;
  c.isESM = true;
}
writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify(manifest, null, 2));
