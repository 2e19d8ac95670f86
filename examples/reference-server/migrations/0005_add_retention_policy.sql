-- description: per-project retention policy
-- server_version: 1.4.0

CREATE TABLE retention_policies (
  project_id  bigint      PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  keep_days   integer     NOT NULL CHECK (keep_days BETWEEN 1 AND 3650),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Existing projects keep 90 days, the default new projects get from the API.
INSERT INTO retention_policies (project_id, keep_days)
SELECT id, 90 FROM projects;
