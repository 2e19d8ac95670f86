import semver from 'semver';
import { type Hint, hint } from '../hint.js';
import type { Matrix } from '../matrix/load.js';
import type { FeatureSpec } from '../matrix/schema.js';
import type { VersionDocument } from '../protocol/version-document.js';

/**
 * Features (docs/matrix.md "Features"): what one command needs of a server beyond the CLI's window. A feature is
 * available on a server when its version (flavours honoured) is at or above `min_server_version`, its applied
 * revision is at or after `min_schema_revision` in the chain, and `capabilities[capability]` is not `false`. The one
 * rule: the judge, `compat check --feature`, the commands' gate, `server status` and doctor all read it from here.
 */

/** What a feature needs, each requirement null when the matrix does not set it (the `feature` of a verdict's JSON). */
export interface FeatureNeeds {
  name: string;
  min_server_version: string | null;
  min_schema_revision: string | null;
  capability: string | null;
}

/** One feature on one server. */
export interface FeatureFinding {
  name: string;
  available: boolean;
  /** Why not, in words (null when available). */
  reason: string | null;
  needs: FeatureNeeds;
  /** Which requirements the server does not meet. */
  lacks: { version: boolean; revision: boolean; capability: boolean };
  /** The first release that brings it (the later of its version and its revision's release); null when the matrix cannot say. */
  release: string | null;
}

/** What the feature rule reads of the judge's findings: the comparable version and the revision's place. */
export interface FeatureFacts {
  /** The server's version as it compares (a declared flavour dropped); null for a dev build. */
  version: string | null;
  /** The server is beyond this CLI's window: a revision this CLI does not know is newer than its chain. */
  newer: boolean;
}

/** The matrix's features, by name (empty when it declares none). */
export function featureSpecs(matrix: Matrix): Readonly<Record<string, FeatureSpec>> {
  return matrix.doc.features ?? {};
}

/** The requirements of one feature, nulls for the ones not set. */
export function featureNeeds(name: string, spec: FeatureSpec): FeatureNeeds {
  return {
    name,
    min_server_version: spec.min_server_version ?? null,
    min_schema_revision: spec.min_schema_revision ?? null,
    capability: spec.capability ?? null,
  };
}

/** The names in `names` the matrix does not declare (a command or `--feature` naming one is a usage error). */
export function unknownFeatures(matrix: Matrix, names: readonly string[]): string[] {
  const specs = featureSpecs(matrix);
  return names.filter((n) => !Object.hasOwn(specs, n));
}

/** The first release that has the feature: the later of `min_server_version` and the release that introduced `min_schema_revision`. */
export function featureRelease(matrix: Matrix, spec: FeatureSpec): string | null {
  const candidates: string[] = [];
  if (spec.min_server_version) candidates.push(spec.min_server_version);
  if (spec.min_schema_revision) {
    const i = matrix.revisionIndex(spec.min_schema_revision);
    const r = i >= 0 ? matrix.releaseOf(i) : null;
    if (r) candidates.push(r);
  }
  return candidates.reduce<string | null>((a, b) => (a === null || semver.gt(b, a) ? b : a), null);
}

/** One feature against one server's version document (pure). */
export function featureFinding(matrix: Matrix, name: string, spec: FeatureSpec, d: VersionDocument, facts: FeatureFacts): FeatureFinding {
  const needs = featureNeeds(name, spec);
  const reasons: string[] = [];
  const lacks = { version: false, revision: false, capability: false };
  // A dev build's version cannot be compared: its revision and capabilities decide.
  if (needs.min_server_version && facts.version !== null && semver.lt(facts.version, needs.min_server_version)) {
    lacks.version = true;
    reasons.push(`server ${d.server_version} is older than ${needs.min_server_version}`);
  }
  if (needs.min_schema_revision) {
    const why = revisionShort(matrix, needs.min_schema_revision, d.schema_revision, facts);
    if (why) {
      lacks.revision = true;
      reasons.push(why);
    }
  }
  if (needs.capability && d.capabilities[needs.capability] === false) {
    lacks.capability = true;
    reasons.push(`the server has capability ${needs.capability} switched off`);
  }
  const available = reasons.length === 0;
  return { name, available, reason: available ? null : reasons.join('; '), needs, lacks, release: featureRelease(matrix, spec) };
}

/** Why the applied revision falls short of `min`, or null when it does not. */
function revisionShort(matrix: Matrix, min: string, applied: string | null, facts: FeatureFacts): string | null {
  if (applied === null) return `the server reports no schema revision (it needs ${min})`;
  const at = matrix.revisionIndex(applied);
  if (at < 0) {
    // A server beyond this CLI's window runs a revision newer than its chain; anywhere else an unknown revision
    // (diverged, never stamped, older than the chain) cannot be shown to include what the feature needs.
    return facts.newer ? null : `schema ${applied} is not in this CLI's chain, so it cannot be shown to include ${min}`;
  }
  return at < matrix.revisionIndex(min) ? `schema ${applied} precedes ${min}` : null;
}

/** Every feature the matrix declares, against one server (in the matrix's order). */
export function featureFindings(matrix: Matrix, d: VersionDocument, facts: FeatureFacts): FeatureFinding[] {
  return Object.entries(featureSpecs(matrix)).map(([name, spec]) => featureFinding(matrix, name, spec, d, facts));
}

/** A feature's requirements in words: `server 1.4.0, schema 0005_…, capability retention`. */
export function needsText(needs: FeatureNeeds): string {
  return [
    needs.min_server_version ? `server ${needs.min_server_version}` : null,
    needs.min_schema_revision ? `schema ${needs.min_schema_revision}` : null,
    needs.capability ? `capability ${needs.capability}` : null,
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * The remedy for a feature the server lacks: `server upgrade` to the first release that brings it, for the checked
 * server (plain `server upgrade` when the server already runs that release and only its migrations are missing); a
 * capability switched off is the operator's to switch on, which no upgrade does.
 */
export function featureHint(f: FeatureFinding, serverVersion: string | null): Hint {
  const steps: Hint[] = [];
  if (f.lacks.version || f.lacks.revision) {
    const to = f.release && (serverVersion === null || semver.lt(serverVersion, f.release)) ? f.release : null;
    steps.push(hint.run(['server', 'upgrade'], { forServer: true, args: to ? [{ flag: 'to', value: to }] : [] }));
  }
  if (f.lacks.capability) {
    const lead = steps.length ? 'then' : 'No upgrade brings it:';
    steps.push(
      hint.text(`${lead} ask the server's operator to switch capability ${f.needs.capability} on, and check again:`),
      hint.run(['compat', 'check'], { forServer: true, args: [{ flag: 'feature', value: f.name }] }),
    );
  }
  return steps.length === 1 ? (steps[0] as Hint) : hint.steps(...steps);
}
