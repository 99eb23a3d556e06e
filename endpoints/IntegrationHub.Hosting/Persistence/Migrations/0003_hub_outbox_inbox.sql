-- Outbox: messages a handler sends, stored in the handler's transaction and sent right after it commits;
-- rows left behind by a crash between commit and send are sent by the endpoint's outbox forwarder.
CREATE TABLE hub.outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint    text                     NOT NULL,
    message_id  text                     NOT NULL,  -- the handled message that sent it
    destination text                     NOT NULL,
    headers     jsonb                    NOT NULL,
    body        bytea                    NOT NULL,
    created_at  timestamp with time zone NOT NULL DEFAULT now()
);
CREATE INDEX outbox_endpoint_created_idx ON hub.outbox (endpoint, created_at);

-- Inbox: messages an endpoint has handled, so a redelivered message (after a crash before its ack) changes nothing.
CREATE TABLE hub.inbox (
    endpoint     text                     NOT NULL,
    message_id   text                     NOT NULL,
    processed_at timestamp with time zone NOT NULL DEFAULT now(),
    PRIMARY KEY (endpoint, message_id)
);
CREATE INDEX inbox_processed_idx ON hub.inbox (processed_at);
