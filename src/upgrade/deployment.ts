import { inputError } from '../errors.js';
import { type Hint, hint } from '../hint.js';
import { DEPLOYMENT_PATTERN, type MatrixDocument, type ServerSteps } from '../matrix/schema.js';
import { fillTemplate, stepsFor } from '../matrix/templates.js';

export { restoreCommands, restoreTemplates, stepsFor } from '../matrix/templates.js';

/** Which deployment's templates a plan uses, and the status commands of a server that cannot be reached. Pure. */

/** A server-supplied value that failed validation, so it is in no command (or, for the admin path, is not used). */
export interface RejectedValue {
  field: 'server_version' | 'schema_revision' | 'deployment' | 'capabilities.migrate';
  value: string;
  reason: string;
}

/** A note of a plan: words, or data where it names a flag (`--deployment` on a command line), said by `render/`. */
export type PlanNote = string | Hint;

export interface DeploymentChoice {
  /** The deployment kind in use (validated), or null when neither the server nor `--deployment` named one. */
  kind: string | null;
  /** Where `kind` came from. */
  source: 'flag' | 'server' | 'none';
  /** Whose templates the commands come from: `kind` itself, or `generic` when the matrix has none for it. */
  templates: string;
}

/** Checks `--deployment`: a deployment kind, like the matrix's own keys. Throws a usage error. */
export function parseDeploymentFlag(matrix: MatrixDocument, kind: string): string {
  if (!DEPLOYMENT_PATTERN.test(kind)) {
    throw inputError({ flag: 'deployment', value: kind, quote: true }, '{flag} is not a deployment kind (a short lower-case word)', {
      remedy: `Use one of: ${knownKinds(matrix).join(', ')}; any other kind gets the generic steps`,
    });
  }
  return kind;
}

/** The deployment kinds the matrix has templates for. */
export function knownKinds(matrix: MatrixDocument): string[] {
  return Object.keys(matrix.server.deployments);
}

/**
 * Which deployment's templates to use: `--deployment` when given, else the
 * kind the server reports if it passes validation, else the generic steps.
 */
export function chooseDeployment(
  matrix: MatrixDocument,
  reported: string | null,
  flag: string | null | undefined,
): { choice: DeploymentChoice; notes: PlanNote[]; rejected: RejectedValue[] } {
  const notes: PlanNote[] = [];
  const rejected: RejectedValue[] = [];
  const reportedValid = reported !== null && DEPLOYMENT_PATTERN.test(reported);
  if (reported !== null && !reportedValid) {
    rejected.push({
      field: 'deployment',
      value: reported,
      reason: 'not a deployment kind (a short lower-case word such as docker-compose); ignored',
    });
  }
  const flagKind = flag ? parseDeploymentFlag(matrix, flag) : null;
  const kind = flagKind ?? (reportedValid ? reported : null);
  const source: DeploymentChoice['source'] = flagKind ? 'flag' : kind ? 'server' : 'none';
  if (flagKind && reportedValid && reported !== flagKind)
    notes.push(hint.flag('deployment', flagKind, `{flag} overrides the server's "${reported}"`));
  const { templates } = stepsFor(matrix, kind);
  const kinds = knownKinds(matrix);
  if (kind === null) {
    const generic = 'the server reports no usable deployment kind, so these are the generic steps';
    notes.push(kinds.length ? hint.flag('deployment', kinds.join('|'), `${generic}; pass {flag} for specific ones`) : generic);
  } else if (templates === 'generic') {
    notes.push(`this CLI has no templates for deployment "${kind}", so these are the generic steps`);
  }
  return { choice: { kind, source, templates }, notes, rejected };
}

/**
 * What to run on the server host when it cannot be reached: the status
 * commands of the given deployment kind, or of every kind when none is known
 * (kinds with the same commands, such as rpm and deb, share one entry). A kind
 * without status templates gets none.
 */
export function statusCommands(matrix: MatrixDocument, kind: string | null): Array<{ kinds: string[]; commands: string[] }> {
  const bin = matrix.cli.bin;
  const fill = (steps: ServerSteps) => (steps.status ?? []).map((t) => fillTemplate(t, { bin }));
  if (kind !== null) {
    const { steps, templates } = stepsFor(matrix, kind);
    const commands = fill(steps);
    return commands.length ? [{ kinds: [templates], commands }] : [];
  }
  const groups: Array<{ kinds: string[]; commands: string[] }> = [];
  for (const [k, steps] of [...Object.entries(matrix.server.deployments), ['generic', matrix.server.generic] as const]) {
    const commands = fill(steps);
    if (!commands.length) continue;
    const same = groups.find((g) => g.commands.join('\n') === commands.join('\n'));
    if (same) same.kinds.push(k);
    else groups.push({ kinds: [k], commands });
  }
  return groups;
}

/** The restore templates of a deployment kind (the generic ones when it has none). */
