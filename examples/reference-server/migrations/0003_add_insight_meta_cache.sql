-- description: cache table for insight metadata
-- server_version: 1.2.0

CREATE TABLE insight_meta_cache (
  project_id   bigint      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  insight_key  text        NOT NULL,
  meta         jsonb       NOT NULL,
  computed_at  timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (project_id, insight_key),
  CHECK (expires_at > computed_at)
);
CREATE INDEX insight_meta_cache_expires_idx ON insight_meta_cache (expires_at);
