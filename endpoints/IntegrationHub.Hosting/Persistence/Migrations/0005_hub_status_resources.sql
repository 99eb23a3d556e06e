-- The department contract's status resources (Departments/StatusResources.cs): one row per request, payment,
-- notification batch or file a department asked for (its accepted step), one row per later step, and the
-- idempotency keys that make a department's retries safe. Pruned by each owning endpoint's retention.
CREATE TABLE hub.status_resources (
    id          text                     NOT NULL PRIMARY KEY,
    kind        text                     NOT NULL,
    department  text                     NOT NULL,
    status      text                     NOT NULL,
    status_rank smallint                 NOT NULL,
    accepted_at timestamp with time zone NOT NULL,
    updated_at  timestamp with time zone NOT NULL,
    ended_at    timestamp with time zone NULL,
    attributes  jsonb                    NOT NULL DEFAULT '{}'::jsonb,
    result      text                     NULL,
    error       text                     NULL
);
CREATE INDEX status_resources_department_idx ON hub.status_resources (department, kind, accepted_at);
CREATE INDEX status_resources_ended_idx ON hub.status_resources (kind, ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX status_resources_unfinished_idx ON hub.status_resources (kind, updated_at) WHERE ended_at IS NULL;

-- entry_id is the id of the message that reported the step, so a redelivered event adds nothing.
CREATE TABLE hub.status_timeline (
    id          bigserial                NOT NULL PRIMARY KEY,
    resource_id text                     NOT NULL REFERENCES hub.status_resources (id) ON DELETE CASCADE,
    entry_id    text                     NOT NULL,
    at          timestamp with time zone NOT NULL,
    step        text                     NOT NULL,
    detail      text                     NULL,
    UNIQUE (resource_id, entry_id)
);

-- Per department and route (e.g. 'POST /api/v1/requests'): the same key on another route is another request.
CREATE TABLE hub.idempotency_keys (
    department      text                     NOT NULL,
    route           text                     NOT NULL,
    idempotency_key text                     NOT NULL,
    kind            text                     NOT NULL,
    resource_id     text                     NOT NULL REFERENCES hub.status_resources (id) ON DELETE CASCADE,
    body_hash       text                     NOT NULL,
    created_at      timestamp with time zone NOT NULL,
    PRIMARY KEY (department, route, idempotency_key)
);
CREATE INDEX idempotency_keys_created_idx ON hub.idempotency_keys (kind, created_at);
CREATE INDEX idempotency_keys_resource_idx ON hub.idempotency_keys (resource_id);
