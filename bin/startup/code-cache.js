// V8's code cache for the bundle (dist/cli.cjs): compiling 1.8 MB of JavaScript, and the functions compiled
// lazily while a command runs, is a good part of a command's startup (bench/NOTES.md, "the code cache").
//
// V8 trusts the bytes it is given: a release build does not checksum a code cache (the header's checksum field is
// 0), and checks only V8's version, its flags and the source's LENGTH. A damaged cache (a zeroed page, flipped bits,
// a file cut short) crashes or hangs the process inside V8, and a cache of another bundle of the same length runs
// that bundle's code. So nothing reaches V8 unchecked:
//  - the cache file is named by the bundle's content (its length and CRC-32, hashed at every load: ≈ 1 ms), the
//    package version, Node's version and the architecture; the header repeats the bundle's length and CRC-32;
//  - the header carries the length and CRC-32 of the cache data; a file whose header or data does not match is
//    deleted and never given to V8 (CRC-32 catches every burst of damage up to 32 bits and all but one in 4
//    billion others: the threat is damage, not an attacker, whom the directory check below keeps out);
//  - only a regular file of at most MAX_BYTES is read (opened without following a symlink, without blocking on a
//    FIFO), from a directory this user owns and no one else can write to;
//  - it is written to a temporary file renamed over the old one, and the temporary file is removed when the
//    write fails (a full or read-only disk keeps nothing).
// A cache that is missing, damaged, stale, foreign or unwritable costs one ordinary compile, never an error.
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

const MAGIC = 0x38565348; // "HSV8" read as a little-endian u32
const FORMAT = 1;
const HEADER_BYTES = 24; // magic, format, bundle length, bundle CRC-32, data length, data CRC-32: six u32 LE
const MAX_BYTES = 64 * 1024 * 1024; // a cache is ≈ 1 MB; anything far larger is not ours
const STALE_TMP_MS = 60_000; // another process's temporary file older than this was left by a kill or a crash

/**
 * Loads the CommonJS bundle `file` as Node loads any CommonJS module, compiled with V8's code cache when a verified
 * one exists, and writes the cache at exit when there was none (or V8 rejected it): by then V8 has compiled the
 * functions the command ran, which a cache made right after compiling would not hold. `beforeWrite` runs first
 * (bin/startup/hooks.js puts V8's flags back, which the cache carries). `extra` is one more argument for the
 * module's wrapper, named `extraName` (the bundle's import() hook, scripts/esbuild-plugins/dynamic-import.js).
 */
export function loadBundle(file, { version, name = 'cli', dir: cacheDir = codeCacheDir(), beforeWrite, extraName, extra }) {
  const bytes = readFileSync(file);
  // latin1: the bundle is ASCII (scripts/esbuild-plugins/ascii-only.js), and a one-byte string is made in a fraction of UTF-8's time.
  const source = bytes.toString('latin1');
  const zlib = process.getBuiltinModule('node:zlib');
  const dir = typeof zlib.crc32 === 'function' ? cacheDir : null;
  const bundle = dir ? { length: bytes.length, crc: zlib.crc32(bytes) } : null;
  const path = dir ? join(dir, cacheName(version, bundle, name)) : null;
  const cachedData = path && trusted(dir) ? readCache(path, bundle) : undefined;
  // Module.wrap's parameters, and the extra one: this module's own.
  const wrapped = `(function (exports, require, module, __filename, __dirname, ${extraName}) { ${source}\n});`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  if (path && (!cachedData || script.cachedDataRejected)) {
    process.once('exit', () => {
      beforeWrite?.();
      writeCache(path, bundle, () => script.createCachedData());
    });
  }
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  Module._cache[file] = mod; // oclif require()s the bundle for its commands: the same instance, not a second one
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file), extra);
  mod.loaded = true;
  return mod.exports;
}

/**
 * The cache file's name: the bundle's name (`cli`, or `plugin` for the commands a vendor's CLI mounts), the package
 * version, the bundle's length and CRC-32, Node's version and the architecture.
 */
export function cacheName(version, bundle, name = 'cli') {
  const crc = bundle.crc.toString(16).padStart(8, '0');
  return `${name}-${version}-${bundle.length}-${crc}-${process.version}-${process.arch}.v8`;
}

/** The header for `data` made from `bundle` ({ length, crc }). */
function header(bundle, data) {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32LE(MAGIC, 0);
  h.writeUInt32LE(FORMAT, 4);
  h.writeUInt32LE(bundle.length >>> 0, 8);
  h.writeUInt32LE(bundle.crc >>> 0, 12);
  h.writeUInt32LE(data.length, 16);
  h.writeUInt32LE(process.getBuiltinModule('node:zlib').crc32(data) >>> 0, 20);
  return h;
}

/**
 * The cache data at `path` when its header and checksum say it is whole and made from `bundle`; otherwise
 * undefined, and a file that is there but wrong is deleted (the exit writes a good one).
 */
export function readCache(path, bundle) {
  let fd;
  try {
    // O_NOFOLLOW: a symlink is not followed (to /dev/zero, say); O_NONBLOCK: opening a FIFO does not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if (err.code !== 'ENOENT') discard(path);
    return undefined;
  }
  let data;
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.size > HEADER_BYTES && st.size <= MAX_BYTES) {
      const buf = Buffer.allocUnsafe(st.size);
      let got = 0;
      for (let n = 1; got < buf.length && n > 0; got += n) n = readSync(fd, buf, got, buf.length - got, got);
      if (got === buf.length && verified(buf, bundle)) data = buf.subarray(HEADER_BYTES);
    }
  } catch {}
  closeSync(fd);
  if (!data) discard(path);
  return data;
}

function verified(buf, bundle) {
  return (
    buf.readUInt32LE(0) === MAGIC &&
    buf.readUInt32LE(4) === FORMAT &&
    buf.readUInt32LE(8) === bundle.length >>> 0 &&
    buf.readUInt32LE(12) === bundle.crc >>> 0 &&
    buf.readUInt32LE(16) === buf.length - HEADER_BYTES &&
    buf.readUInt32LE(20) === process.getBuiltinModule('node:zlib').crc32(buf.subarray(HEADER_BYTES)) >>> 0
  );
}

function discard(path) {
  try {
    rmSync(path, { force: true });
  } catch {}
}

/**
 * Writes the cache data (`make()`, V8's createCachedData) with its header to a temporary file, renamed to `path`;
 * a failed write leaves nothing. Then removes the caches of other bundles, and temporary files a killed process
 * left behind.
 */
export function writeCache(path, bundle, make) {
  const dir = dirname(path);
  if (!ensureDir(dir) || !trusted(dir)) return false;
  const name = path.slice(dir.length + 1);
  const kind = `${name.slice(0, name.indexOf('-'))}-`; // the caches of other versions of this bundle are stale
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    const data = make();
    writeFileSync(tmp, Buffer.concat([header(bundle, data), data]), { mode: 0o600 });
    renameSync(tmp, path);
  } catch {
    discard(tmp);
    return false;
  }
  try {
    const now = Date.now();
    for (const f of readdirSync(dir)) {
      if (f === name) continue;
      if (f.startsWith(kind)) discard(join(dir, f));
      else if (f.startsWith(`.${kind}`) && f.endsWith('.tmp') && now - statSync(join(dir, f)).mtimeMs > STALE_TMP_MS) discard(join(dir, f));
    }
  } catch {}
  return true;
}

/**
 * `code-cache` in the cache directory as src/cache/cache.ts resolves it: <PREFIX>_CACHE_DIR, else
 * $XDG_CACHE_HOME/<product>, else ~/.cache/<product> (handshake's own, or a vendor's CLI's that mounts it).
 */
export function codeCacheDir(prefix = 'HANDSHAKE', product = 'handshake') {
  const env = process.env;
  const xdg = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : null;
  const root = env[`${prefix}_CACHE_DIR`] || (xdg ? join(xdg, product) : homedir() ? join(homedir(), '.cache', product) : null);
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
