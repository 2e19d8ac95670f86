-- description: events split into events and event_payloads
-- server_version: 1.3.0

-- Payloads move to their own table so listing events no longer reads every
-- payload. The copy and the drop run in the same transaction as the rest of
-- this file: either every event keeps its payload, or nothing changed.
CREATE TABLE event_payloads (
  event_id  bigint PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
  payload   jsonb  NOT NULL
);

INSERT INTO event_payloads (event_id, payload)
SELECT id, payload FROM events;

ALTER TABLE events DROP COLUMN payload;
