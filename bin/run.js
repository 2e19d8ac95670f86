#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';

const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// `handshake --version` answers without loading oclif: the same line oclif prints (`config.userAgent`),
// from package.json. Anything this shortcut cannot be sure of (an init hook that oclif would run first,
// WSL, which oclif reports as a platform of its own) goes the ordinary way.
const versionFlags = ['--version', ...(pjson.oclif.additionalVersionFlags ?? [])];
if (versionFlags.includes(process.argv[2]) && !pjson.oclif.hooks?.init && !maybeWsl()) {
  process.stdout.write(`${pjson.name}/${pjson.version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`);
} else {
  // undici parses HTTP with a WebAssembly build of llhttp. V8 compiles it at once with its baseline
  // tier, then again with its optimizing tier on a background thread, and Node waits for that second
  // compile before it exits: ~70 ms at the end of every command that made a request, for a parser a
  // CLI runs a handful of times. The baseline tier is plenty (BENCHMARKS.md).
  (await import('node:v8')).setFlagsFromString('--liftoff-only');
  await run();
}

async function run() {
  if (existsSync(new URL('../dist/cli.js', import.meta.url))) {
    // The build bundles oclif and every command into dist/cli.js (scripts/bundle.js): one file to load
    // instead of hundreds. oclif finds the commands in it by their ids; package.json keeps pointing
    // vendors who mount the commands as a plugin at dist/commands.
    // The bundle's OCLIF says where oclif finds the commands, the help class and the hooks in it.
    const { execute, OCLIF } = await import('../dist/cli.js');
    Object.assign(pjson.oclif, OCLIF);
    await execute({ loadOptions: { root: fileURLToPath(new URL('..', import.meta.url)), pjson } });
  } else {
    const { execute } = await import('@oclif/core');
    await execute({ dir: import.meta.url });
  }
}

function maybeWsl() {
  if (platform() !== 'linux') return false;
  if (/microsoft/i.test(release())) return true;
  try {
    return /microsoft/i.test(readFileSync('/proc/version', 'utf8'));
  } catch {
    return false;
  }
}
