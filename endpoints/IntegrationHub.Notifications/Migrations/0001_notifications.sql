CREATE SCHEMA IF NOT EXISTS notifications;

-- Departments' templates, one row per version (POST /api/v1/notifications/templates).
CREATE TABLE notifications.templates (
    department text NOT NULL,
    id text NOT NULL,
    version integer NOT NULL,
    channel text NOT NULL,
    fallback_language text NOT NULL,
    texts jsonb NOT NULL,
    max_sms_segments integer NULL,
    registration_id text NULL,
    otp boolean NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (department, id, version)
);

-- Requests (batches) and their messages, one per recipient. Kept Hub:Notifications:Retention:Messages (90 days).
CREATE TABLE notifications.batches (
    department text NOT NULL,
    id text NOT NULL,
    channel text NOT NULL,
    total integer NOT NULL,
    finished integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (department, id)
);
CREATE INDEX batches_created_at_idx ON notifications.batches (created_at);

CREATE TABLE notifications.messages (
    department text NOT NULL,
    id text NOT NULL,
    batch_id text NOT NULL,
    channel text NOT NULL,
    recipient text NOT NULL,
    state text NOT NULL,
    provider text NULL,
    provider_message_id text NULL,
    code text NULL,
    finished boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (department, id)
);
CREATE INDEX messages_batch_idx ON notifications.messages (department, batch_id, state);
