-- Calls to external systems made by handlers (Outbound/OutboundCalls.cs): an attempt is recorded and committed before
-- the call, its outcome in the handled message's transaction after it. A row still 'calling' when the message comes
-- back (the process died between call and record) tells the handler to ask the system what became of the call.
CREATE TABLE hub.outbound_calls (
    endpoint         text                     NOT NULL,
    call_key         text                     NOT NULL,
    system           text                     NOT NULL,
    state            text                     NOT NULL, -- calling | done | failed
    attempts         integer                  NOT NULL,
    first_attempt_at timestamp with time zone NOT NULL,
    last_attempt_at  timestamp with time zone NOT NULL,
    finished_at      timestamp with time zone NULL,
    outcome          text                     NULL,
    last_error       text                     NULL,
    PRIMARY KEY (endpoint, call_key)
);
CREATE INDEX outbound_calls_last_attempt_idx ON hub.outbound_calls (last_attempt_at);
