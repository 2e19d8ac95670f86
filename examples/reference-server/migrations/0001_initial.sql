-- description: projects, events and api tokens
-- server_version: 1.0.0

CREATE TABLE projects (
  id          bigserial   PRIMARY KEY,
  name        text        NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
  id           bigserial   PRIMARY KEY,
  project_id   bigint      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  type         text        NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
  payload      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  occurred_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_project_occurred_idx ON events (project_id, occurred_at DESC);

-- Tokens are stored hashed: the server never keeps a usable secret at rest.
CREATE TABLE api_tokens (
  id            bigserial   PRIMARY KEY,
  name          text        NOT NULL,
  token_sha256  bytea       NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);

INSERT INTO projects (name) VALUES ('default');
