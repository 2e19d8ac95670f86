#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';

// `handshake --version` answers without loading oclif (≈ 400 modules): the same line oclif prints
// (`config.userAgent`), from package.json. Anything this shortcut cannot be sure of (an init hook that
// oclif would run first, WSL, which oclif reports as a platform of its own) goes the ordinary way.
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const versionFlags = ['--version', ...(pjson.oclif.additionalVersionFlags ?? [])];
if (versionFlags.includes(process.argv[2]) && !pjson.oclif.hooks?.init && !maybeWsl()) {
  process.stdout.write(`${pjson.name}/${pjson.version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`);
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
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
