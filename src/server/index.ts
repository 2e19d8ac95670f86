/**
 * `handshake-compat/server`: the server half of the handshake. Imports nothing from
 * the CLI side: only the matrix's constants and the version document's schema,
 * so the document a server builds is checked by the same schema its CLIs parse.
 *
 * ```ts
 * import http from 'node:http';
 * import { createHandshakeServer } from 'handshake-compat/server';
 *
 * const hs = createHandshakeServer({ serverVersion: '1.4.0', revisions: myRevisionSource, minCliVersion: '0.9.0' });
 * await hs.refresh();
 * http.createServer((req, res) => hs.middleware(req, res, () => app(req, res))).listen(8080);
 * ```
 *
 * Express, Fastify and web-standard `fetch` handlers (Hono, Bun, Deno, Next.js) mount the same
 * server through `handshake-compat/server/express`, `/fastify` and `/fetch` (docs/server.md).
 */

export type { VersionDocument } from '../protocol/version-document.js';
export { MAX_MIGRATE_BODY, type MigrationRequest } from './admin-endpoint.js';
export { type CliRejection, checkCliVersion } from './cli-window.js';
export {
  buildVersionDocument,
  type MigrationStatus,
  type PendingMigrationInfo,
  type ServerCapabilities,
  type ServerInfo,
  type ServerVersionDocument,
} from './document.js';
export { HandshakeServerError } from './errors.js';
export {
  createHandshakeServer,
  DEFAULT_CACHE_MS,
  DEFAULT_HEADER_NAMES,
  DEFAULT_READ_TIMEOUT_MS,
  DEFAULT_VERSION_PATH,
  type Exchange,
  type Handler,
  type HandshakeRequest,
  type HandshakeServer,
  type HandshakeServerOptions,
  type HeaderNames,
  type Middleware,
  type Next,
  type RequestFacts,
  RevisionReadTimeout,
  type RevisionSource,
  type Route,
} from './handshake-server.js';
export type { Answer } from './http.js';
export type { MaintenanceBody } from './maintenance.js';
export {
  type AdminMigrationOptions,
  type Caller,
  createMigrationController,
  DEFAULT_MIGRATE_PATH,
  DEFAULT_RETRY_AFTER_SECONDS,
  type MigrationController,
  type MigrationProgress,
  type MigrationReport,
  type MigrationRunContext,
  type MigrationRunner,
  type MigrationRunState,
} from './migrations.js';
export {
  MIGRATION_TOOLS,
  type MigrationTableOptions,
  type MigrationTableState,
  type MigrationTool,
  migrationTableRevisions,
  type Query,
  readMigrationTable,
} from './revisions/index.js';
