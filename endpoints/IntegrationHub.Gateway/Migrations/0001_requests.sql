-- The gateway's view of department requests: status, timeline and idempotency keys. No payloads are kept here:
-- the department's JSON travels on in ForwardRequest (through the outbox) and only its hash is stored.
CREATE SCHEMA IF NOT EXISTS gateway;

CREATE TABLE gateway.requests (
    request_id  text                     NOT NULL PRIMARY KEY,
    department  text                     NOT NULL,
    service     text                     NOT NULL,
    status      text                     NOT NULL,
    accepted_at timestamp with time zone NOT NULL,
    updated_at  timestamp with time zone NOT NULL,
    result      text                     NULL,
    error       text                     NULL
);
CREATE INDEX requests_department_idx ON gateway.requests (department, accepted_at);

-- One row per step; entry_id is the id of the message that reported it, so a redelivered event adds nothing.
CREATE TABLE gateway.timeline (
    id         bigserial                NOT NULL PRIMARY KEY,
    request_id text                     NOT NULL REFERENCES gateway.requests (request_id) ON DELETE CASCADE,
    entry_id   text                     NOT NULL,
    at         timestamp with time zone NOT NULL,
    step       text                     NOT NULL,
    detail     text                     NULL,
    UNIQUE (request_id, entry_id)
);

CREATE TABLE gateway.idempotency_keys (
    department      text                     NOT NULL,
    idempotency_key text                     NOT NULL,
    request_id      text                     NOT NULL REFERENCES gateway.requests (request_id) ON DELETE CASCADE,
    body_hash       text                     NOT NULL,
    created_at      timestamp with time zone NOT NULL,
    PRIMARY KEY (department, idempotency_key)
);
