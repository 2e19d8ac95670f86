#!/usr/bin/env node
// How `handshake` starts, and why it is fast (bench/NOTES.md says what each step buys):
//  1. `--version` is answered from package.json, without loading oclif (bin/startup/shortcuts.js).
//  2. Everything else runs from one esbuild bundle of oclif and every command (dist/cli.cjs, made by
//     scripts/bundle.js), compiled from V8's code cache after the first run (bin/startup/code-cache.js).
//     oclif finds the commands, help class and hooks in it through the bundle's OCLIF; package.json keeps
//     pointing vendors who mount the commands as a plugin at dist/commands.
//  3. A command of handshake's own runs without oclif's plugins, its commands in code-unit order (shortcuts.js).
//  4. The bundle calls back here through hooks (bin/startup/hooks.js): its undici compiles its WebAssembly parser
//     with V8's baseline tier alone.
// Without a bundle (a build without scripts/bundle.js), oclif runs dist/commands as tsc wrote them.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBundle } from './startup/code-cache.js';
import { compileWasm, defaultV8Flags, setHook } from './startup/hooks.js';
import { codeUnitOrder, guardHomeless, ownCommand, versionLine } from './startup/shortcuts.js';

guardHomeless();
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const argv = process.argv.slice(2);
const bundle = fileURLToPath(new URL('../dist/cli.cjs', import.meta.url));
const version = versionLine(pjson, argv);

if (version) {
  process.stdout.write(version);
} else if (existsSync(bundle)) {
  setHook('compileWasm', compileWasm);
  const { execute, OCLIF, COMMAND_IDS } = loadBundle(bundle, {
    version: pjson.version,
    beforeWrite: defaultV8Flags, // the cache carries V8's flags: the next run loads it under the defaults
    extraName: '__handshakeImportHook', // the bundle's import() (scripts/esbuild-plugins/dynamic-import.js)
    extra: (specifier) => import(specifier),
  });
  Object.assign(pjson.oclif, OCLIF);
  if (ownCommand(argv, COMMAND_IDS, pjson.oclif.topicSeparator ?? ':')) {
    pjson.oclif.plugins = [];
    setHook('commandOrder', codeUnitOrder);
  }
  await execute({ loadOptions: { root: fileURLToPath(new URL('..', import.meta.url)), pjson } });
} else {
  compileWasm(() => {}); // no bundle: its undici never calls the hook, and there is no code cache to keep
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
