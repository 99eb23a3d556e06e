-- The newest version (source time, EVN-2 or MSH-7, in Unix ms) of what the hub has published about each patient, per
-- department: a message handled after a newer one about the same patient is published with IsLatest = false, so a
-- late A04 never overwrites what an A08 said. Kept for Hub:Clinical:Retention:SubjectVersions after the last message
-- about the patient (pruned by Hl7v2RetentionService). No personal data: the patient id is a hash-based UUID.
CREATE TABLE clinical.subject_versions (
    department  text NOT NULL,
    patient_id  text NOT NULL,
    version     bigint NOT NULL,
    message_id  text NOT NULL,
    updated_at  timestamp with time zone NOT NULL,
    PRIMARY KEY (department, patient_id)
);

CREATE INDEX subject_versions_updated_at ON clinical.subject_versions (updated_at);
