import * as z from 'zod/mini';
import { versionDocumentSchema, versionSchema } from './version-document.js';

/**
 * A semver version as `semver.valid(v.trim())` accepts it (what {@link versionSchema} checks in code):
 * spaces at either end and a leading `v` allowed. JSON Schema cannot call semver, so the published schema
 * carries this pattern; a test holds the two to the same answers.
 */
export const SEMVER_PATTERN =
  '^\\s*v?(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)' +
  '(?:-((?:\\d*[a-zA-Z-][a-zA-Z0-9-]*|0|[1-9]\\d*)(?:\\.(?:\\d*[a-zA-Z-][a-zA-Z0-9-]*|0|[1-9]\\d*))*))?' +
  '(?:\\+([a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*))?\\s*$';

/** Each field's meaning, said once more for editors and validators; docs/protocol.md §1.1 is the full text. */
const DESCRIPTIONS: Record<string, string> = {
  server_version: 'The server\'s release: a semver version such as 1.4.2, or "dev" for an unversioned development build (§1.2).',
  schema_revision: 'The database schema revision currently applied, as the migration tool records it (§1.2); null before the first.',
  min_cli_version: 'The oldest CLI the server accepts (semver).',
  max_cli_version: 'The newest CLI the server accepts (semver).',
  recommended_cli_version: 'The CLI version the server suggests installing (semver).',
  api_version: 'Informational, e.g. v1.',
  pending_migrations: 'Migrations the server knows it has not applied, oldest first: revision ids, or {revision, description} objects.',
  deployment: 'How the server is deployed: docker-compose, helm, rpm, deb, or another word.',
  migration_status: "State of the server's own migration runner.",
  migration_progress: "While running: this run's migrations applied, of how many, and the one running now.",
  background_migrations_pending: 'Data migrations still running in the background after the schema migrations; an upgrade is done at 0.',
  capabilities:
    "What the server can do on request: migrate is the admin migration endpoint's path (§1b); any other key is a feature flag, false = switched off (§1.3).",
};

/**
 * The JSON Schema of the version document as a server writes it (`version-document.schema.json`),
 * generated from {@link versionDocumentSchema}, the schema the client parses with: one source for the
 * parser, the server's writer (src/server/document.ts) and the published schema (docs/protocol.md §1.1).
 */
export function versionDocumentJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(versionDocumentSchema, {
    io: 'input',
    unrepresentable: 'any',
    override(ctx) {
      if (ctx.zodSchema === versionSchema) {
        ctx.jsonSchema.pattern = SEMVER_PATTERN;
      }
    },
  }) as Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> };
  for (const [field, description] of Object.entries(DESCRIPTIONS)) {
    const property = schema.properties?.[field];
    if (property) property.description = description;
  }
  const { $schema, ...rest } = schema;
  return {
    $schema,
    title: 'handshake version document',
    description:
      'What a server answers on its version endpoint (GET /api/v1/config/version), as every CLI of this release accepts it. docs/protocol.md §1.1. Unknown fields are allowed and ignored.',
    ...rest,
  };
}
