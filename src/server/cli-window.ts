import semver from 'semver';

/** The 426 a server answers to a CLI older than it accepts: status, headers and JSON body. */
export interface CliRejection {
  status: 426;
  /** Lower-case names: the required-version header and the content type. */
  headers: Record<string, string>;
  body: {
    error: {
      code: 'cli_outdated';
      message: string;
      remedy: string;
      required_cli_version: string;
      cli_version: string;
    };
  };
}

/**
 * Decides whether a request's CLI is below the server's window. Pure.
 *
 * Only a CLI that names a valid semver version below `minCliVersion` is
 * refused. A missing or unparsable header is let through (a browser, curl,
 * another client), and so is a CLI above `maxCliVersion`: the CLI reads that
 * from the version document and reports `cli_too_new` itself.
 *
 * @param cliVersion the value of the request's CLI-version header, if any
 * @param minCliVersion the oldest CLI the server accepts; null disables the check
 * @param requiredHeader the response header that names the required version
 */
export function checkCliVersion(
  cliVersion: string | string[] | undefined,
  minCliVersion: string | null | undefined,
  requiredHeader = 'X-Required-CLI-Version',
): CliRejection | null {
  if (!minCliVersion) return null;
  const raw = Array.isArray(cliVersion) ? cliVersion[0] : cliVersion;
  if (raw === undefined) return null;
  const version = semver.valid(raw.trim());
  if (version === null) return null;
  if (!semver.lt(version, minCliVersion)) return null;
  return {
    status: 426,
    headers: { [requiredHeader.toLowerCase()]: minCliVersion, 'content-type': 'application/json; charset=utf-8' },
    body: {
      error: {
        code: 'cli_outdated',
        message: `This server accepts CLI ${minCliVersion} or newer; the request came from CLI ${version}`,
        remedy: `Upgrade the CLI to ${minCliVersion} or newer`,
        required_cli_version: minCliVersion,
        cli_version: version,
      },
    },
  };
}
