CREATE SCHEMA IF NOT EXISTS webhooks;

CREATE TABLE webhooks.deliveries (
    id               text        PRIMARY KEY,
    department       text        NOT NULL,
    request_id       text        NOT NULL,
    event_type       text        NOT NULL,
    url              text        NULL,
    status           text        NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    round            integer     NOT NULL DEFAULT 1,
    round_attempts   integer     NOT NULL DEFAULT 0,
    created_at       timestamp with time zone NOT NULL,
    last_attempt_at  timestamp with time zone NULL,
    last_status_code integer     NULL,
    last_error       text        NULL,
    next_attempt_at  timestamp with time zone NULL,
    delivered_at     timestamp with time zone NULL,
    payload          text        NOT NULL
);

CREATE INDEX deliveries_status_created ON webhooks.deliveries (status, created_at);
CREATE INDEX deliveries_department_created ON webhooks.deliveries (department, created_at);

CREATE TABLE webhooks.delivery_attempts (
    delivery_id  text     NOT NULL REFERENCES webhooks.deliveries (id),
    attempt      integer  NOT NULL,
    round        integer  NOT NULL,
    attempted_at timestamp with time zone NOT NULL,
    status_code  integer  NULL,
    error        text     NULL,
    duration_ms  integer  NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
