/**
 * handshake — the SDK. Everything a vendor CLI needs to check itself against
 * a self-hosted server: load a compat matrix, run a version handshake, compute
 * a verdict, make checked HTTP calls, plan an upgrade. Nothing here prints,
 * prompts or exits: results are typed values and failures are
 * {@link HandshakeError}s with stable codes.
 *
 * The server half lives in `handshake-compat/server`; the oclif base command for
 * branded commands in `handshake-compat/oclif`.
 *
 * @packageDocumentation
 */
import { getMatrixSchema } from './matrix/schema.js';

export { type CacheEntry, cacheDir, DEFAULT_CACHE_TTL_MS, HandshakeCache } from './cache/cache.js';
export { type Config, configPath, loadConfig, type ServerEntry } from './config/config.js';
// Doctor: independent named checks, run concurrently and bounded; a vendor adds its own to the built-in ones.
export {
  builtinChecks,
  type CheckOutcome,
  type CheckResult,
  type CheckStatus,
  createDoctorContext,
  type DoctorCheck,
  type DoctorContext,
  type DoctorContextOptions,
  type DoctorOptions,
  type DoctorReport,
  type DoctorSection,
  runChecks,
  runDoctor,
  SECTION,
  type Words,
} from './doctor/index.js';
// server verify: a live server checked against docs/protocol.md (a vendor's server tests call it directly).
export { runVerify, type VerifyOptions, type VerifyReport } from './doctor/verify/index.js';
// Errors: stable codes and type guards; remedies as data (hints), said by remedyFor.
export { ErrorCode, HandshakeError, isHandshakeError, MatrixError, type MatrixIssue, TransportError } from './errors.js';
// The handshake and the verdict.
export { classifyResponse, type Observation, type ObserveOptions, observe } from './handshake/observe.js';
export { type FlagArg, type FlagName, type Hint, hint, type RemedyContext, type ServerRef, type Source } from './hint.js';
export { matrixJsonSchema } from './matrix/json-schema.js';
// The compat matrix.
export { BUNDLED, createMatrix, loadMatrix, type Matrix, parseMatrix, type RevisionPlacement } from './matrix/load.js';
export {
  DEPLOYMENT_KINDS,
  type DeploymentKind,
  getMatrixSchema,
  INSTALL_METHODS,
  type InstallMethod,
  type MatrixDocument,
  type MatrixInput,
  REVISION_PATTERN,
} from './matrix/schema.js';

/** The zod schema of `compat.json` (the SDK's import builds it; the CLI builds it only when it validates a file). */
export const matrixSchema = getMatrixSchema();
export { cliInstallCommand, fillTemplate } from './matrix/templates.js';
// The version document servers answer.
export { versionDocumentJsonSchema } from './protocol/json-schema.js';
export { DEV_VERSION, type PendingMigration, type VersionDocument, versionDocumentSchema } from './protocol/version-document.js';
// Output helpers: the one sanitizer, safe JSON, exit codes.
export { doctorDocument, formatDoctor, formatDoctorMarkdown } from './render/doctor.js';
export { ExitCode, exitCodeForError, exitCodeForVerdict } from './render/exit-codes.js';
export { errorMessage, OWN_WORDS, remedyFor, SDK_WORDS, saidText, sourceText } from './render/remedy.js';
export { type CompatDocument, compatDocument } from './render/report.js';
export { safeJson, sanitize } from './render/sanitize.js';
export { planNotes } from './render/upgrade.js';
export { formatVerify, formatVerifyMarkdown, type VerifyDocument, verifyDocument } from './render/verify.js';
export {
  CheckedClient,
  type CheckedClientOptions,
  type ClientRequestOptions,
  envFlag,
  type PassiveReport,
  passiveFails,
} from './session/checked-client.js';
export { assertKnownFeatures, FeatureUnavailableError } from './session/feature-gate.js';
export { checkFleet, type FleetReport } from './session/fleet.js';
export { detectInstallMethod } from './session/install-method.js';
// Sessions, the checked client (the passive check on every call), the fleet.
export {
  buildReport,
  type CompatReport,
  checkServer,
  createSession,
  DEFAULT_TIMEOUT_MS,
  requireServer,
  resolveMatrix,
  type Session,
  type SessionOptions,
  type StatusReport,
} from './session/session.js';
export { type HeaderHook, headerInterceptor, type ResponseHeadInfo } from './transport/interceptor.js';
// The transport, for calls of your own with the same limits.
export { DEFAULT_MAX_BYTES, defaultDispatcher, type HttpResponse, httpRequest, type RequestOptions } from './transport/request.js';
// Upgrades: the pure plan, the poll, the whole flow.
export { type Hop, type PlanDecision, type PlanInput, planUpgrade, type UpgradePlan } from './upgrade/plan.js';
export { type PollEvent, type PollOptions, pollServer } from './upgrade/poll.js';
export { type UpgradeHooks, type UpgradeOptions, type UpgradeOutcome, type UpgradeResult, upgradeServer } from './upgrade/upgrade.js';
export { redactText, redactUrl } from './url.js';
// Features a command needs (docs/matrix.md "Features").
export { type FeatureFinding, type FeatureNeeds, featureFindings, featureRelease, unknownFeatures } from './verdict/features.js';
export {
  type CliContext,
  computeVerdict,
  type FeatureNeed,
  featureGate,
  SEVERITY,
  type Severity,
  STATUSES,
  type Status,
  UNCHECKED_STATUSES,
  type Verdict,
} from './verdict/verdict.js';
