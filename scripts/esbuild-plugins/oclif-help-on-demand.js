// oclif's help (its index: the help classes, formatter, docopts, root help) is evaluated only for help and errors:
// its index, flags and error handler require the help index on first use, and main.js takes its argv helpers
// (normalizeArgv, getHelpFlagAdditions) from help/util.js, as oclif's config and command modules already do: a
// check never evaluates oclif's help, nor our help class (bench/NOTES.md, step 15). The build checks help/util.js
// still defines them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lazyRequire } from './oclif-lazy-requires.js';
import { dependencyFile, sourceRewrite } from './source-rewrite.js';

const NAME = 'oclif-help-on-demand';
const ARGV_HELPERS = ['normalizeArgv', 'getHelpFlagAdditions'];

export default function oclifHelpOnDemand() {
  return sourceRewrite(
    NAME,
    [
      lazyRequire(NAME, 'main.js', 'help_1', 'require("./help")'),
      lazyRequire(NAME, 'index.js', 'help_1', 'require("./help")', 'var'),
      lazyRequire(NAME, 'flags.js', 'help_1', 'require("./help")'),
      lazyRequire(NAME, 'errors/handle.js', 'index_1', 'require("../help/index")'),
      ...ARGV_HELPERS.map((fn) => ({
        file: dependencyFile('@oclif/core', 'lib/main.js'),
        from: `(0, help_1.${fn})(`,
        to: `(0, require("./help/util").${fn})(`,
      })),
    ],
    () => {
      const util = readFileSync(fileURLToPath(new URL('help/util.js', import.meta.resolve('@oclif/core'))), 'utf8');
      for (const fn of ARGV_HELPERS)
        if (!new RegExp(`^exports\\.${fn} = ${fn};$`, 'm').test(util))
          throw new Error(`${NAME}: oclif's help/util.js no longer defines ${fn}`);
    },
  );
}
