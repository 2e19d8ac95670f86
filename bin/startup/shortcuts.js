// The two shortcuts bin/run.js takes when it can be sure they change nothing but the time (bench/NOTES.md, steps 1,
// 9 and 11): `--version` without oclif, and a command of handshake's own without oclif's plugins.
import { readFileSync } from 'node:fs';
import { arch, homedir, platform, release, userInfo } from 'node:os';

/**
 * A uid without a passwd entry and without HOME or SHELL (a container run with --user, OpenShift): os.homedir() and
 * os.userInfo() throw, and oclif calls both while loading. An empty HOME makes the first answer "" instead
 * (handshake reads that as "no home directory", src/input's homeDirectory, and does without a config file and a
 * cache); an empty SHELL keeps oclif from asking the second.
 */
export function guardHomeless() {
  try {
    homedir();
  } catch {
    process.env.HOME = '';
  }
  if (process.env.SHELL !== undefined) return;
  try {
    userInfo();
  } catch {
    process.env.SHELL = '';
  }
}

/**
 * The line `handshake --version` prints, the one oclif prints (`config.userAgent`), made from package.json without
 * loading oclif; undefined when argv asks for something else, or when the shortcut cannot be sure (an init hook
 * oclif would run first, WSL, which oclif reports as a platform of its own). test/e2e/startup.test.ts holds the two
 * lines equal.
 */
export function versionLine(pjson, argv) {
  const flags = ['--version', ...(pjson.oclif.additionalVersionFlags ?? [])];
  if (!flags.includes(argv[0]) || pjson.oclif.hooks?.init || maybeWsl()) return undefined;
  return `${pjson.name}/${pjson.version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`;
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

/**
 * Whether argv names one of the bundle's own commands (`ids`): the first words (before any flag) are one of its ids
 * (`compat check`, `compat:check`, `api /path`), and no help is asked for anywhere on the line. oclif loads every
 * plugin (help, autocomplete) on every start to find the command: each one's root resolved, its package.json and
 * manifest read, ≈ 10 ms. No plugin has a command at or under one of our ids, nor a hook such a run could fire
 * (scripts/bundle.js checks both), so oclif finds the same command with or without them, and bin/run.js leaves them
 * out; help, the plugins' commands, a mistyped command (its suggestions) and anything else load them as before.
 */
export function ownCommand(argv, ids, separator) {
  if (!Array.isArray(ids) || argv.some((a) => a === '--help' || a === '-h' || a === 'help')) return false;
  const first = argv[0];
  if (first === undefined || first.startsWith('-')) return false;
  if (ids.includes(first)) return true;
  if (separator !== ' ') return false;
  const words = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
    if (ids.includes(words.join(':'))) return true;
  }
  return false;
}

/**
 * The order oclif sorts commands in on an ownCommand run, where no one sees it: by code unit, instead of
 * localeCompare, whose first call creates ICU's collator (≈ 7 ms; scripts/esbuild-plugins/oclif-command-order.js).
 */
export const codeUnitOrder = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
