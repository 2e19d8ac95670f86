-- description: tags on events
-- server_version: 1.1.0

CREATE TABLE event_tags (
  event_id  bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  key       text   NOT NULL CHECK (length(key) BETWEEN 1 AND 64),
  value     text   NOT NULL CHECK (length(value) <= 256),
  PRIMARY KEY (event_id, key)
);
CREATE INDEX event_tags_key_value_idx ON event_tags (key, value);
