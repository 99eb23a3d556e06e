CREATE SCHEMA IF NOT EXISTS clinical;

-- One row per HL7 v2 message handed on (ACKed AA/CA): a resend of the same control id by the same sender within the
-- duplicate window is recognised by its key and ACKed again without a second hand-off. Kept for that window only
-- (Hub:Clinical:Retention:Hl7v2DuplicateWindow, pruned by Hl7v2RetentionService). No message content is kept here.
CREATE TABLE clinical.hl7v2_received (
    department          text NOT NULL,
    sending_application text NOT NULL,
    sending_facility    text NOT NULL,
    control_id          text NOT NULL,
    message_id          text NOT NULL,
    message_type        text NOT NULL,
    channel             text NOT NULL,
    received_at         timestamp with time zone NOT NULL,
    PRIMARY KEY (department, sending_application, sending_facility, control_id)
);

CREATE INDEX hl7v2_received_received_at ON clinical.hl7v2_received (received_at);
