-- The outbox forwarder sends row by row: a row that cannot be sent is retried with backoff, on its own, and parked
-- for operators (hubctl outbox list | retry) once it has failed for long enough; the others go on.
ALTER TABLE hub.outbox
    ADD COLUMN attempts        integer                  NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamp with time zone NULL,
    ADD COLUMN last_error      text                     NULL,
    ADD COLUMN parked_at       timestamp with time zone NULL;
-- The time the row was written (at the end of its transaction), not when the transaction began: the forwarder's
-- grace period then counts from about the commit, so it never races the normal send of a long handler.
ALTER TABLE hub.outbox ALTER COLUMN created_at SET DEFAULT clock_timestamp();
CREATE INDEX outbox_parked_idx ON hub.outbox (endpoint, parked_at) WHERE parked_at IS NOT NULL;
