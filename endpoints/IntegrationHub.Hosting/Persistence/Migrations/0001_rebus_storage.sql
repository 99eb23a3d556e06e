-- Rebus storage: deferred messages (timeouts), due times polled by every endpoint.
-- Column names and types are the ones Rebus.PostgreSql reads and writes; Rebus's own table creation is off.
CREATE SCHEMA IF NOT EXISTS rebus;

CREATE TABLE rebus.timeouts (
    id       bigserial                NOT NULL PRIMARY KEY,
    due_time timestamp with time zone NOT NULL,
    headers  text,
    body     bytea
);
CREATE INDEX timeouts_due_time_idx ON rebus.timeouts (due_time);
