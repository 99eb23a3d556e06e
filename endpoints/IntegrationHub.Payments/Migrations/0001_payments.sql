CREATE SCHEMA IF NOT EXISTS payments;

-- Bills departments raise (POST /api/v1/bills). reserved_minor: what running payments have set aside, so that two
-- checkouts cannot pay one bill twice; paid_minor: what was captured. Payer data is kept
-- Hub:Payments:Retention:PayerData after the bill was created (then blanked, the amounts stay).
CREATE TABLE payments.bills (
    department text NOT NULL,
    id text NOT NULL,
    reference text NOT NULL,
    payer_name text NULL,
    payer_mobile text NULL,
    payer_email text NULL,
    items jsonb NOT NULL,
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency text NOT NULL,
    due_date date NULL,
    reserved_minor bigint NOT NULL DEFAULT 0 CHECK (reserved_minor >= 0),
    paid_minor bigint NOT NULL DEFAULT 0 CHECK (paid_minor >= 0),
    created_at timestamptz NOT NULL,
    idempotency_key text NULL,
    PRIMARY KEY (department, id)
);
CREATE UNIQUE INDEX bills_idempotency_idx ON payments.bills (department, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX bills_created_at_idx ON payments.bills (created_at);

-- One row per payment attempt; reference is what the gateway sees (unique across the hub, callbacks find it by it).
CREATE TABLE payments.payments (
    department text NOT NULL,
    id text NOT NULL,
    account text NOT NULL,
    gateway text NOT NULL,
    reference text NOT NULL UNIQUE,
    bill_id text NULL,
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency text NOT NULL,
    bill_reference text NOT NULL,
    description text NOT NULL,
    method text NOT NULL,
    return_url text NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    state text NOT NULL,
    gateway_id text NULL,
    checkout_token_hash text NULL,
    captured_minor bigint NOT NULL DEFAULT 0,
    instrument text NULL,
    refunded_minor bigint NOT NULL DEFAULT 0,
    refund_reserved_minor bigint NOT NULL DEFAULT 0,
    flag text NULL,
    CHECK (refunded_minor + refund_reserved_minor <= captured_minor),
    PRIMARY KEY (department, id)
);
CREATE INDEX payments_created_at_idx ON payments.payments (created_at);

-- Refunds of captured payments (POST /api/v1/payments/{id}/refunds): a refund sets its amount aside on its payment
-- first (refund_reserved_minor), so refunds together never exceed what was captured, however many run at once.
CREATE TABLE payments.refunds (
    department text NOT NULL,
    id text NOT NULL,
    payment_id text NOT NULL,
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency text NOT NULL,
    reason text NOT NULL,
    state text NOT NULL,
    gateway_refund_id text NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (department, id),
    FOREIGN KEY (department, payment_id) REFERENCES payments.payments (department, id) ON DELETE CASCADE
);

-- Receipts: numbered without gaps per department and fiscal year (the counter row is taken in the capture's own
-- transaction, so a rolled-back capture gives its number back). Kept Hub:Payments:Retention:Receipts (default 8 years).
CREATE TABLE payments.receipt_counters (
    department text NOT NULL,
    fiscal_year text NOT NULL,
    last_number bigint NOT NULL,
    PRIMARY KEY (department, fiscal_year)
);
CREATE TABLE payments.receipts (
    department text NOT NULL,
    fiscal_year text NOT NULL,
    sequence bigint NOT NULL,
    number text NOT NULL,
    payment_id text NOT NULL,
    bill_id text NULL,
    bill_reference text NOT NULL,
    amount_minor bigint NOT NULL,
    currency text NOT NULL,
    gateway text NOT NULL,
    payer_name text NULL,
    items jsonb NOT NULL,
    issued_at timestamptz NOT NULL,
    PRIMARY KEY (department, fiscal_year, sequence),
    UNIQUE (department, payment_id)
);
CREATE INDEX receipts_issued_at_idx ON payments.receipts (issued_at);

-- Every gateway callback the hub received, accepted or refused: outcome and reason only, never a body, card or payer
-- data. Kept Hub:Payments:Retention:Callbacks (default 90 days).
CREATE TABLE payments.callbacks (
    id bigserial PRIMARY KEY,
    gateway text NOT NULL,
    account text NOT NULL,
    received_at timestamptz NOT NULL,
    outcome text NOT NULL,
    reason text NULL,
    event_id text NULL,
    reference text NULL
);
CREATE INDEX callbacks_received_at_idx ON payments.callbacks (received_at);

-- Reconciliation runs (the daily job, hubctl payments reconcile, the ops API) and what each found. A scheduled run of
-- an account and day happens once, however many instances run. Kept Hub:Payments:Retention:Reconciliations (400 days).
CREATE TABLE payments.reconciliation_runs (
    run_id text PRIMARY KEY,
    account text NOT NULL,
    day date NOT NULL,
    requested_by text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NULL,
    checked integer NOT NULL DEFAULT 0,
    mismatches jsonb NULL,
    error text NULL
);
CREATE UNIQUE INDEX reconciliation_runs_scheduled_idx ON payments.reconciliation_runs (account, day) WHERE requested_by = 'schedule';
CREATE INDEX reconciliation_runs_started_at_idx ON payments.reconciliation_runs (started_at);
