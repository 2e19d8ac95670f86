// oclif's modules require, at their top, modules that only some runs call into: node:child_process (WSL's shell),
// node:readline (flags read from stdin), minimatch and tinyglobby (plugin and command discovery by pattern), ejs
// (templated config), lilconfig (a plugin's package.json), and its error printer's wrap-ansi, indent-string and
// clean-stack. TypeScript's output reads such a module's members only when it calls them
// (`(0, node_child_process_1.execSync)(…)`), so each becomes a proxy that requires it on the first member read:
// ≈ 5 ms (bench/NOTES.md, step 12). The build checks that no such binding is read at the module's top.
import { dependencyFile, sourceRewrite } from './source-rewrite.js';

/** [oclif's file under lib/, the binding, the require expression, its declaration keyword] */
const LAZY = [
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

/** A module proxy that requires the module on the first read of a member (put at the top of each edited file). */
const LAZY_MODULE =
  'function __lazyModule(load) { let m; const get = () => (m ??= load()); return new Proxy({}, { get: (_, k) => get()[k], has: (_, k) => k in get(), ownKeys: () => Reflect.ownKeys(get()), getOwnPropertyDescriptor: (_, k) => { const d = Reflect.getOwnPropertyDescriptor(get(), k); return d && { ...d, configurable: true }; } }); }';

/** The edit that makes `binding` (declared with `kind`) in oclif's `file` a lazily required module. */
export function lazyRequire(plugin, file, binding, expr, kind = 'const') {
  return {
    file: dependencyFile('@oclif/core', `lib/${file}`),
    from: `${kind} ${binding} = ${expr};`,
    to: `${kind} ${binding} = __lazyModule(() => ${expr});`,
    check: (source) => {
      // A top-level line reading the binding, other than its declaration and TypeScript's re-export getters.
      const top = source
        .split('\n')
        .filter(
          (l) =>
            /^\S/.test(l) &&
            l.includes(binding) &&
            !l.startsWith(`${kind} ${binding} = `) &&
            !/^Object\.defineProperty\(exports, "\w+", \{ enumerable: true, get: function \(\) \{ return \w+\.\w+; \} \}\);$/.test(l),
        );
      if (top.length) throw new Error(`${plugin}: ${file} reads ${binding} at its top: ${top[0]}`);
    },
    prelude: LAZY_MODULE,
  };
}

export default function oclifLazyRequires() {
  return sourceRewrite(
    'oclif-lazy-requires',
    LAZY.map(([file, binding, expr, kind]) => lazyRequire('oclif-lazy-requires', file, binding, expr, kind)),
  );
}
