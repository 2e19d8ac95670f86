#!/usr/bin/env node
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { arch, homedir, platform, release, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

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
let liftoffOnly = false; // whether compileWasm (below) has set --liftoff-only

// `handshake --version` answers without loading oclif: the same line oclif prints (`config.userAgent`),
// from package.json. Anything this shortcut cannot be sure of (an init hook that oclif would run first,
// WSL, which oclif reports as a platform of its own) goes the ordinary way.
const versionFlags = ['--version', ...(pjson.oclif.additionalVersionFlags ?? [])];
if (versionFlags.includes(process.argv[2]) && !pjson.oclif.hooks?.init && !maybeWsl()) {
  process.stdout.write(`${pjson.name}/${pjson.version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`);
} else {
  globalThis[Symbol.for('handshake.compileWasm')] = compileWasm;
  await run();
}

/**
 * How the bundle's undici compiles its WebAssembly llhttp (scripts/bundle.js), on the first connection. V8
 * compiles it at once with its baseline tier, then again with its optimizing tier on a background thread,
 * and Node waits for that second compile before it exits: ~70 ms at the end of every command that made a
 * request, for a parser a CLI runs a handful of times. So V8 gets `--liftoff-only` (the baseline tier
 * alone) from that compile on, and not before: while a flag differs from its default V8 rejects every code
 * cache, Node's own for its built-in modules (each then compiled from source, ≈ 15 ms over a check) and the
 * bundle's. The flags are put back before the bundle's code cache is written (writeCodeCache), so the next
 * run, which loads the bundle before any flag is set, can use it. A user who set a WebAssembly or Liftoff
 * flag of their own gets V8's compile as they asked for it.
 */
function compileWasm(compile) {
  const own = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (!liftoffOnly && !/wasm|liftoff/.test(own)) {
    process.getBuiltinModule('node:v8').setFlagsFromString('--liftoff-only');
    liftoffOnly = true;
  }
  return compile();
}

/** V8's flags as they were before compileWasm (--liftoff-only turns both tiers off by implication). */
function defaultV8Flags() {
  if (!liftoffOnly) return;
  process.getBuiltinModule('node:v8').setFlagsFromString('--no-liftoff-only --wasm-tier-up --wasm-dynamic-tiering');
  liftoffOnly = false;
}

async function run() {
  const bundle = fileURLToPath(new URL('../dist/cli.cjs', import.meta.url));
  if (existsSync(bundle)) {
    // The build bundles oclif and every command into dist/cli.cjs (scripts/bundle.js): one file to load
    // instead of hundreds, compiled from V8's code cache after the first run (loadBundle). oclif finds the
    // commands, the help class and the hooks in it through the bundle's OCLIF; package.json keeps pointing
    // vendors who mount the commands as a plugin at dist/commands.
    const { execute, OCLIF, COMMAND_IDS } = loadBundle(bundle);
    Object.assign(pjson.oclif, OCLIF);
    // oclif loads every plugin (help, autocomplete) on every start to find the command: each one's root resolved,
    // its package.json and manifest read, ≈ 10 ms. A command of handshake's own never uses them (scripts/bundle.js
    // checks that no plugin has one of its ids or a hook it could fire), so such a run leaves them out; help, the
    // plugins' commands, a mistyped command (its suggestions) and anything this cannot be sure of load them as before.
    // Such a run never shows the order of the commands either, so oclif sorts them by code unit there instead of
    // with localeCompare, whose first call creates ICU's collator (≈ 7 ms; scripts/bundle.js).
    if (ownCommand(process.argv.slice(2), COMMAND_IDS, pjson.oclif.topicSeparator ?? ':')) {
      pjson.oclif.plugins = [];
      globalThis[Symbol.for('handshake.commandOrder')] = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    }
    await execute({ loadOptions: { root: fileURLToPath(new URL('..', import.meta.url)), pjson } });
  } else {
    // No bundle (a build without scripts/bundle.js): its undici never calls the hook, and there is no code cache
    // of ours to keep, so the baseline tier is set now, for the whole run.
    compileWasm(() => {});
    const { execute } = await import('@oclif/core');
    await execute({ dir: import.meta.url });
  }
}

/**
 * Loads the CommonJS bundle with V8's code cache, kept in `<cache dir>/code-cache`: compiling 1.7 MB of
 * JavaScript, and the functions compiled lazily while a command runs, is a good part of a command's startup.
 * The bundle is compiled as Node compiles any CommonJS module, with a vm.Script given the cached data, and
 * the data is written after the first run, when V8 has compiled what the command used. Node 22.1+ has a
 * compile cache of its own (module.enableCompileCache), but it keeps only what compiling the file compiled,
 * not the functions a command then runs: a check on Node 22 and 24 took 1.9× and 1.7× the node:http floor
 * with it, 1.36× and 1.26× with this (bench/NOTES.md). A cache that cannot be read, written, or is stale or
 * corrupt (V8 checks it and rejects it) costs one ordinary compile, never an error.
 */
function loadBundle(file) {
  const dir = codeCacheDir();
  // latin1: the bundle is ASCII (scripts/bundle.js), and a one-byte string is read in a fraction of UTF-8's time.
  const source = readFileSync(file, 'latin1');
  const stat = statSync(file);
  const key = `cli-${pjson.version}-${stat.size}-${Math.floor(stat.mtimeMs)}-${process.version}-${process.arch}.v8`;
  let cachedData;
  try {
    if (dir && trusted(dir)) cachedData = readFileSync(join(dir, key));
  } catch {}
  // Module.wrap's parameters, and the bundle's import() (scripts/bundle.js): this module's own.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __handshakeImportHook) { ${source}\n});`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  if (dir && (!cachedData || script.cachedDataRejected)) process.once('exit', () => writeCodeCache(dir, key, script));
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  Module._cache[file] = mod; // oclif require()s the bundle for its commands: the same instance, not a second one
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file), (specifier) => import(specifier));
  mod.loaded = true;
  return mod.exports;
}

function writeCodeCache(dir, key, script) {
  defaultV8Flags(); // the cache carries the flags it was made under; the next run loads it under the defaults
  try {
    if (!ensureDir(dir) || !trusted(dir)) return;
    const tmp = join(dir, `.${key}.${process.pid}.tmp`);
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, join(dir, key));
    for (const f of readdirSync(dir)) if (f !== key && f.startsWith('cli-')) rmSync(join(dir, f), { force: true });
  } catch {}
}

/** As src/cache/cache.ts resolves it: HANDSHAKE_CACHE_DIR, else $XDG_CACHE_HOME/handshake, else ~/.cache/handshake. */
function codeCacheDir() {
  const env = process.env;
  const xdg = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : null;
  const root = env.HANDSHAKE_CACHE_DIR || (xdg ? join(xdg, 'handshake') : homedir() ? join(homedir(), '.cache', 'handshake') : null);
  // A blank or relative one is the command's usage error (src/input): never a directory made in the current one.
  return root?.startsWith('/') && !root.startsWith('/proc') ? join(root, 'code-cache') : null;
}

/**
 * Cached bytecode runs as this user: only a directory this user owns, that no one else can write to, is
 * used (a shared HANDSHAKE_CACHE_DIR or XDG_CACHE_HOME must not let another user plant code).
 */
function trusted(dir) {
  try {
    const st = statSync(dir);
    if (!st.isDirectory() || (st.mode & 0o022) !== 0) return false;
    return typeof process.getuid !== 'function' || st.uid === process.getuid();
  } catch {
    return false;
  }
}

/** mkdir -p without the recursive flag (Node 20's loops forever under /proc), a bounded number of levels. */
function ensureDir(dir, depth = 0) {
  try {
    mkdirSync(dir, { mode: 0o700 });
    return true;
  } catch (err) {
    if (err.code === 'EEXIST') return true;
    if (err.code !== 'ENOENT' || depth > 12 || dirname(dir) === dir || !ensureDir(dirname(dir), depth + 1)) return false;
    try {
      mkdirSync(dir, { mode: 0o700 });
      return true;
    } catch (again) {
      return again.code === 'EEXIST';
    }
  }
}

/**
 * Whether argv names one of the bundle's own commands: the first words (before any flag) are one of its ids
 * (`compat check`, `compat:check`, `api /path`), and no help is asked for anywhere on the line. No plugin has a
 * command at or under such an id (scripts/bundle.js), so oclif finds the same command with or without them.
 */
function ownCommand(argv, ids, separator) {
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

function maybeWsl() {
  if (platform() !== 'linux') return false;
  if (/microsoft/i.test(release())) return true;
  try {
    return /microsoft/i.test(readFileSync('/proc/version', 'utf8'));
  } catch {
    return false;
  }
}
