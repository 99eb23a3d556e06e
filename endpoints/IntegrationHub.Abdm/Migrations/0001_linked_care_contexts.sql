CREATE SCHEMA IF NOT EXISTS abdm;

-- Care contexts of each department's patients linked to an ABHA address through ABDM (by the patient, with an OTP, or
-- by the department). Listed by GET /api/v1/abdm/care-contexts; kept Hub:Abdm:Retention:LinkedCareContexts after the
-- last linking (pruned by AbdmRetentionService).
CREATE TABLE abdm.linked_care_contexts (
    department text NOT NULL,
    patient_reference text NOT NULL,
    care_context_reference text NOT NULL,
    abha_address text NOT NULL,
    hip_id text NOT NULL,
    display text NOT NULL,
    hi_type text NULL,
    link_id text NOT NULL,
    initiated_by text NOT NULL,
    linked_at timestamptz NOT NULL,
    -- A department's HIPs may each number their patients and care contexts from 1: the HIP is part of the key.
    PRIMARY KEY (department, hip_id, patient_reference, care_context_reference, abha_address)
);
CREATE INDEX linked_care_contexts_linked_at_idx ON abdm.linked_care_contexts (linked_at);
CREATE INDEX linked_care_contexts_department_idx ON abdm.linked_care_contexts (department, linked_at DESC);

-- Answers from the gateway that match no call the hub is waiting on (unknown, finished or timed-out request ids): kept
-- for operators (GET /api/v1/abdm/unmatched-calls, scope ops) for Hub:Abdm:Retention:UnmatchedCalls. No body is kept.
CREATE TABLE abdm.unmatched_calls (
    id bigserial PRIMARY KEY,
    hip_id text NOT NULL,
    call text NOT NULL,
    request_id text NOT NULL,
    answered_request_id text NOT NULL,
    error_code text NULL,
    reason text NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX unmatched_calls_received_at_idx ON abdm.unmatched_calls (received_at);
