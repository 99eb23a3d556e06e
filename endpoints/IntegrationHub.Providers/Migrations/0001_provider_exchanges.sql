-- Which requests' conversations with providers have ended, so a late or repeated callback is told apart from one
-- that matches no request at all.
CREATE SCHEMA IF NOT EXISTS providers;

CREATE TABLE providers.finished_exchanges (
    request_id           text                     NOT NULL PRIMARY KEY,
    provider             text                     NOT NULL,
    outcome              text                     NOT NULL,
    answered_by_provider boolean                  NOT NULL,
    finished_at          timestamp with time zone NOT NULL
);

-- Callbacks that matched no running request: kept (never dropped) for operators to look into.
CREATE TABLE providers.unmatched_callbacks (
    callback_id    text                     NOT NULL PRIMARY KEY,
    provider       text                     NOT NULL,
    correlation_id text                     NOT NULL,
    status         text                     NOT NULL,
    reason         text                     NOT NULL,
    result         text                     NULL,
    error          text                     NULL,
    received_at    timestamp with time zone NOT NULL,
    kept_at        timestamp with time zone NOT NULL DEFAULT now()
);
CREATE INDEX unmatched_callbacks_received_idx ON providers.unmatched_callbacks (received_at DESC);
