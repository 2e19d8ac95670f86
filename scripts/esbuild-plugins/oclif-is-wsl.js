// oclif asks wsl-utils whether this is WSL on every start; wsl-utils loads node:child_process, node:fs/promises and
// powershell-utils at its top to answer with is-wsl's value, which it re-exports. oclif asks is-wsl itself
// (bench/NOTES.md, step 12). The build checks wsl-utils still re-exports is-wsl's answer.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dependencyFile, sourceRewrite } from './source-rewrite.js';

export default function oclifIsWsl() {
  return sourceRewrite(
    'oclif-is-wsl',
    [
      {
        file: dependencyFile('@oclif/core', 'lib/util/os.js'),
        from: "return (await import('wsl-utils')).isWsl ? 'wsl'",
        to: "return (await import('is-wsl')).default ? 'wsl'",
      },
    ],
    () => {
      if (!readFileSync(fileURLToPath(import.meta.resolve('wsl-utils')), 'utf8').includes("export {default as isWsl} from 'is-wsl';"))
        throw new Error("oclif-is-wsl: wsl-utils's isWsl is no longer is-wsl's");
    },
  );
}
