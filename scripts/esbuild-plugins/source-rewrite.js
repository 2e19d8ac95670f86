// The one mechanism behind the rewrite plugins in this directory: a named esbuild plugin that replaces exact
// strings in a dependency's files as esbuild loads them. Each `from` must be found, and each edit must meet a
// file of the bundle, or the build fails naming the plugin: a dependency's update that changes a line fails the
// build instead of silently losing what the rewrite bought (bench/NOTES.md).
//
// esbuild gives a file to the first plugin whose onLoad matches it, so several plugins editing one file (oclif's
// config/plugin.js has two) share one onLoad per file: the plugins of a build register their edits in one table
// (keyed by the build's options object, which all of a build's plugins see), and whichever registered the file
// first applies every edit for it, in the order the plugins are listed.
import { readFileSync } from 'node:fs';

const tables = new WeakMap();

/**
 * A named esbuild plugin applying `edits` (`{ file: RegExp, from, to, check?(source), prelude? }`): in each file
 * whose path matches `file`, `from` is replaced by `to`; `check` may throw to refuse a file it cannot rewrite
 * soundly; `prelude` is code put once at the top of the file (after its "use strict").
 */
export function sourceRewrite(name, edits, setup) {
  return {
    name,
    setup(build) {
      setup?.(build);
      if (!tables.has(build.initialOptions)) tables.set(build.initialOptions, new Map());
      const files = tables.get(build.initialOptions);
      const applied = new Set();
      for (const edit of edits) {
        if (!files.has(edit.file.source)) {
          const group = [];
          files.set(edit.file.source, group);
          build.onLoad({ filter: edit.file }, (args) => ({ contents: rewrite(args.path, group), loader: 'js' }));
        }
        files.get(edit.file.source).push({ ...edit, plugin: name, done: () => applied.add(edit) });
      }
      build.onEnd(() => {
        const missed = edits.find((e) => !applied.has(e));
        if (missed) throw new Error(`no file in the bundle matched ${missed.file}`);
      });
    },
  };
}

function rewrite(path, group) {
  let source = readFileSync(path, 'utf8');
  const preludes = new Set();
  for (const edit of group) {
    if (!source.includes(edit.from)) throw new Error(`${edit.plugin}: ${path} no longer has: ${edit.from}`);
    edit.check?.(source);
    source = source.replace(edit.from, edit.to);
    if (edit.prelude) preludes.add(edit.prelude);
    edit.done();
  }
  // After the file's "use strict": code before it would turn the directive into a plain string.
  const strict = /^(?:#!.*\n)?\s*(['"])use strict\1;?\n?/.exec(source)?.[0] ?? '';
  return `${strict}${[...preludes].map((p) => `${p}\n`).join('')}${source.slice(strict.length)}`;
}

/** The path of a dependency's file as a filter: `dependencyFile('undici', 'lib/dispatcher/client.js')`. */
export function dependencyFile(pkg, file) {
  const part = (s) => s.replace(/\./g, '\\.');
  return new RegExp(`[\\\\/]${[...pkg.split('/'), ...file.split('/')].map(part).join('[\\\\/]')}$`);
}

/**
 * Rewrites the text of each JavaScript output file of a build made with `write: false` (the caller writes them):
 * for the rewrites that must see the whole bundle rather than one of its files.
 */
export function rewriteOutput(result, rewrite) {
  result.outputFiles = result.outputFiles?.map((file) => {
    if (!file.path.endsWith('.js') && !file.path.endsWith('.cjs')) return file;
    const text = rewrite(file.text);
    return { path: file.path, text, contents: Buffer.from(text, 'utf8'), hash: file.hash };
  });
}
