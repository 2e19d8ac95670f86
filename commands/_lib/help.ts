import { Help } from '@oclif/core';
import { hostBranding } from './branding.js';

/**
 * oclif's help, with the root help (`handshake --help`, `handshake` alone) ending in the environment
 * variables the commands read and the exit codes they end with (CONTRACT §4, §7). The variables carry the
 * host CLI's prefix when handshake is mounted in one: a vendor CLI points `oclif.helpClass` at a file that
 * re-exports this class from `handshake-compat/oclif` (examples/vendor-cli/help.js).
 */
export default class HandshakeHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp();
    const p = hostBranding(this.config).envPrefix;
    const bin = this.config.bin;
    this.log(
      this.section('ENVIRONMENT VARIABLES', [
        [`${p}_SERVER`, 'The server: a base URL or a configured name (like --server).'],
        [`${p}_TOKEN`, 'Bearer token for the server. There is no token flag: secrets never go in argv.'],
        [`${p}_ADMIN_TOKEN`, `The admin credential for the server's migration endpoint (${bin} server upgrade only).`],
        [`${p}_COMPAT_FILE`, 'Another compat matrix instead of the bundled one (like --compat).'],
        [`${p}_CACHE_DIR`, `Where the version-check cache lives (default: $XDG_CACHE_HOME/${bin}).`],
        [`${p}_CACHE_TTL`, 'How long a cached version check stays fresh, in seconds (default 3600).'],
        [`${p}_NO_VERSION_CHECK=1`, 'No passive version warnings on ordinary commands.'],
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
