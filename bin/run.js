#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { arch, homedir, platform, release, userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';

// A uid without a passwd entry and without HOME or SHELL (a container run with --user, OpenShift):
// os.homedir() and os.userInfo() throw, and oclif calls both while loading. An empty HOME makes the
// first answer "" instead (handshake reads that as "no home directory", src/input's homeDirectory, and
// does without a config file and a cache); an empty SHELL keeps oclif from asking the second.
try {
  homedir();
} catch {
  process.env.HOME = '';
}
if (process.env.SHELL === undefined) {
  try {
    userInfo();
  } catch {
    process.env.SHELL = '';
  }
}

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
    const { execute } = await import('../dist/cli.js');
    pjson.oclif.commands = { strategy: 'explicit', target: './dist/cli.js', identifier: 'COMMANDS' };
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
