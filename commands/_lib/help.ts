import { Help, type Interfaces } from '@oclif/core';
import { DEFAULT_CACHE_TTL_MS } from '../../src/cache/cache.js';
import { envName, envPrefixFor, VARIABLES, type Variable } from '../../src/env.js';
import { hostBranding } from './branding.js';

/** What each variable of the one list (src/env.ts) does, as the root help says it: every one must be here. */
function variableHelp(bin: string): Record<Variable, { shown?: string; text: string }> {
  return {
    SERVER: { text: 'The server: a base URL or a configured name (like --server).' },
    TOKEN: { text: 'Bearer token for the server. There is no token flag: secrets never go in argv.' },
    ADMIN_TOKEN: { text: `The admin credential for the server's migration endpoint (${bin} server upgrade only).` },
    COMPAT_FILE: { text: 'Another compat matrix instead of the bundled one (like --compat).' },
    CACHE_DIR: { text: `Where the version-check cache lives (default: $XDG_CACHE_HOME/${bin}).` },
    CACHE_TTL: { text: `Seconds a version check stays fresh in the cache (default: ${DEFAULT_CACHE_TTL_MS / 1000}).` },
    NO_VERSION_CHECK: { shown: '=1', text: 'No passive version warnings on ordinary commands.' },
  };
}

/**
 * The config help is rendered with: the host's, except that `config.scopedEnvVarKey`, which the commands' help
 * writes as `$<%= config.scopedEnvVarKey("TOKEN") %>`, names the variable by the one prefix rule the resolver
 * reads (src/env.ts). oclif's own rule keeps a "." of the bin: `acme.cli` → `ACME.CLI_TOKEN`, which no shell can
 * export, while the resolver reads `ACME_CLI_TOKEN`.
 */
export function helpConfig(config: Interfaces.Config): Interfaces.Config {
  const prefix = envPrefixFor(config.bin);
  const scopedEnvVarKey = (key: string) => envName(prefix, key);
  return new Proxy(config, { get: (target, key) => (key === 'scopedEnvVarKey' ? scopedEnvVarKey : Reflect.get(target, key, target)) });
}

/**
 * oclif's help, with the root help (`handshake --help`, `handshake` alone) ending in the environment
 * variables the commands read and the exit codes they end with (README.md "Flags and environment variables", "Exit codes"). The variables carry the
 * host CLI's prefix when handshake is mounted in one: a vendor CLI points `oclif.helpClass` at a file that
 * re-exports this class from `handshake-compat/oclif` (examples/vendor-cli/help.js).
 */
export default class HandshakeHelp extends Help {
  constructor(config: Interfaces.Config, options?: Partial<Interfaces.HelpOptions>) {
    super(helpConfig(config), options);
  }

  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp();
    const p = hostBranding(this.config).envPrefix;
    const bin = this.config.bin;
    const help = variableHelp(bin);
    this.log(
      this.section('ENVIRONMENT VARIABLES', [
        ...VARIABLES.map((v): [string, string] => [`${envName(p, v)}${help[v].shown ?? ''}`, help[v].text]),
        ['NO_COLOR', 'No colour. Without a TTY: no colour, no spinner, no prompt.'],
      ]),
    );
    this.log('');
    this.log(
      this.section('EXIT CODES', [
        ['0', 'Compatible, or warnings only (without --strict); doctor: no check failed.'],
        ['1', 'An unexpected error (a bug).'],
        ['2', 'Usage: a bad command, flag or argument, an invalid --compat file, a confirmation needed.'],
        ['3', 'Incompatible (or any warning with --strict); doctor: a check failed; upgrade: a failed migration.'],
        ['4', 'The server could not be checked: unreachable, timeout, unauthorized, no endpoint, invalid response.'],
        ['130', 'Interrupted (Ctrl-C).'],
        ['143', 'Terminated (SIGTERM).'],
      ]),
    );
  }
}
