import { ErrorCode, HandshakeError, inputError } from '../errors.js';
import type { Observation } from '../handshake/observe.js';
import { type FlagName, hint } from '../hint.js';
import { matrixName } from '../matrix/load.js';
import { pluralWord } from '../text.js';
import { unknownFeatures } from '../verdict/features.js';
import { type FeatureNeed, featureGate } from '../verdict/verdict.js';
import { buildReport, type CompatReport, type Session } from './session.js';

/**
 * A command that needs features (docs/matrix.md "Features") on a server that lacks one, or that could not be
 * checked for them: nothing was sent to the command's own route. `report` is the verdict document (`compat check
 * --json`'s shape, with `feature` for `feature_unavailable`); its status gives the exit code.
 */
export class FeatureUnavailableError extends HandshakeError {
  readonly report: CompatReport;

  constructor(report: CompatReport) {
    super(ErrorCode.FeatureUnavailable, report.message, { hint: report.hint });
    this.name = 'FeatureUnavailableError';
    this.report = report;
  }
}

/**
 * A usage error (exit 2) when `need` names a feature the matrix does not declare: the one rule for a command's or a
 * request's needs and for a name the user typed (`asked`: the flag that took it, `compat check --feature`, whose fix is
 * the same check with a declared feature).
 */
export function assertKnownFeatures(session: Pick<Session, 'matrix'>, need: FeatureNeed, asked?: { flag: FlagName }): void {
  const unknown = unknownFeatures(session.matrix, need.features);
  if (unknown.length === 0) return;
  const declared = Object.keys(session.matrix.doc.features ?? {});
  const matrix = matrixName(session.matrix);
  if (asked) {
    throw inputError(
      { flag: asked.flag, value: unknown.join(', ') },
      `{flag}: ${matrix} declares no such feature (${declared.length ? `it declares ${declared.join(', ')}` : 'it declares none'})`,
      {
        hint: declared.length
          ? hint.run(['compat', 'check'], { forServer: true, args: [{ flag: asked.flag, value: declared[0] as string }] })
          : hint.run(['compat', 'show']),
      },
    );
  }
  const who = need.command ? `${need.command} needs` : 'asked for';
  throw new HandshakeError(
    ErrorCode.Usage,
    `${who} ${pluralWord(unknown.length, 'feature')} ${unknown.join(', ')}, which ${matrix} does not declare (${declared.length ? `it declares ${declared.join(', ')}` : 'it declares no features'})`,
    {
      hint: hint.text(
        declared.length
          ? `Name one of the declared features (${declared.join(', ')}), or add it to the matrix's "features"`
          : 'Add it to the matrix\'s "features" (docs/matrix.md "Features")',
      ),
    },
  );
}

/**
 * The gate before a request of a command that needs features: throws {@link FeatureUnavailableError} with the
 * verdict document when the server lacks one (or could not be checked); returns when the request may go.
 */
export function enforceFeatures(session: Session, url: URL, observation: Observation, need: FeatureNeed): void {
  const v = featureGate(session.matrix, observation, session.cli, need);
  if (!v) return;
  const { cli, server, features, remedies } = buildReport(session, url, observation, session.serverRef, need);
  const { status, severity, message, hint: h, feature } = v;
  const report: CompatReport = {
    status,
    severity,
    message,
    hint: h,
    remedies,
    cli,
    server,
    ...(features ? { features } : {}),
    ...(feature ? { feature } : {}),
  };
  throw new FeatureUnavailableError(report);
}
