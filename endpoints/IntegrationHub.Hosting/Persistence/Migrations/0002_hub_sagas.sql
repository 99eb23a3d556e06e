-- Saga state the hub owns: JSON that operators can read and query, written in the same transaction as the
-- outbox, so a saga step and the messages it sends commit together or not at all.
CREATE TABLE hub.sagas (
    id         uuid                     NOT NULL PRIMARY KEY,
    revision   integer                  NOT NULL,
    saga_type  text                     NOT NULL,
    data       jsonb                    NOT NULL,
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    updated_at timestamp with time zone NOT NULL DEFAULT now()
);

CREATE TABLE hub.saga_index (
    saga_type text NOT NULL,
    key       text NOT NULL,
    value     text NOT NULL,
    saga_id   uuid NOT NULL REFERENCES hub.sagas (id) ON DELETE CASCADE,
    PRIMARY KEY (saga_type, key, value)
);
CREATE INDEX saga_index_saga_id_idx ON hub.saga_index (saga_id);
