import semver from 'semver';

/**
 * How every range of the matrix is read (the window, the stops' `when_target`, the plan's target): a
 * prerelease orders before its release (1.4.0-rc.1 < 1.4.0) and counts as inside a range, since a
 * server may run one (docs/matrix.md).
 */
export const RANGE_OPTIONS = { includePrerelease: true } as const;

/**
 * The one normalisation of a server version. A server may report a leading "v", and a suffix that is
 * a flavour of the product rather than a prerelease (GitLab's `16.11.10-ee`): with `ee` declared in the
 * matrix's `version_flavors`, that compares as `16.11.10`. Null when the text is not semver.
 */
export function comparableVersion(reported: string, flavors: readonly string[] = []): string | null {
  const parsed = semver.parse(reported.trim());
  if (!parsed) return null;
  const [first, ...rest] = parsed.prerelease;
  if (rest.length === 0 && typeof first === 'string' && flavors.some((f) => f.toLowerCase() === first.toLowerCase())) {
    return `${parsed.major}.${parsed.minor}.${parsed.patch}`;
  }
  return parsed.version;
}

/** A release without its prerelease part: a prerelease ships its release's migrations (1.4.0-rc.1 → 1.4.0). */
export function plainRelease(version: string): string {
  const v = semver.parse(version);
  return v ? `${v.major}.${v.minor}.${v.patch}` : version;
}
