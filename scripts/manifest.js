// `oclif manifest` for the build, without the oclif CLI's "update available" notice on every build: the notice
// comes from its @oclif/plugin-warn-if-update-available, which stays quiet when <BIN>_SKIP_NEW_VERSION_CHECK
// is true (the oclif CLI's bin is `oclif`). The devDependency is upgraded on purpose, not from a build log.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const oclifRoot = dirname(require.resolve('oclif/package.json'));
const bin = join(oclifRoot, require('oclif/package.json').bin.oclif);
execFileSync(process.execPath, [bin, 'manifest'], { stdio: 'inherit', env: { ...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true' } });
