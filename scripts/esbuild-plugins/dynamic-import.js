// The bundle is CommonJS, so that bin/startup/code-cache.js can compile it with V8's code cache (a vm.Script with
// cachedData): the ESM sources' import.meta.url becomes the bundle's own URL, and each dynamic import() (oclif
// loading a plugin's ESM commands, ora) goes through __handshakeImport: a vm.Script's own import() needs an
// experimental vm option on Node 20, so bin/run.js hands in its own import() as the module wrapper's extra argument
// `__handshakeImportHook`. Loaded any other way (require() in a test), the bundle uses its own import().
import { rewriteOutput } from './source-rewrite.js';

const FALLBACK = '(s) => import(s);';

export default function dynamicImport() {
  return {
    name: 'dynamic-import',
    setup(build) {
      const options = build.initialOptions;
      if (options.write !== false || options.format !== 'cjs') throw new Error('dynamic-import: needs a CommonJS build with write: false');
      options.define = { ...options.define, 'import.meta.url': '__bundleUrl' };
      options.banner = {
        ...options.banner,
        js: [
          options.banner?.js,
          "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;",
          `const __handshakeImport = typeof __handshakeImportHook === 'function' ? __handshakeImportHook : ${FALLBACK}`,
        ]
          .filter(Boolean)
          .join('\n'),
      };
      // Every import( call but the banner's fallback (and the string "import()" in oclif's error messages).
      build.onEnd((result) =>
        rewriteOutput(result, (text) => {
          const [banner, ...rest] = text.split(FALLBACK);
          return [banner, rest.join(FALLBACK).replace(/(?<![\w$.])import\((?!\))/g, '__handshakeImport(')].join(FALLBACK);
        }),
      );
    },
  };
}
