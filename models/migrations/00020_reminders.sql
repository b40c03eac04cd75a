-- +goose Up
-- Appointment confirmations and reminders (issue 5 item 7), by e-mail and SMS
-- through the outbox. Message bodies name the practice and the time only:
-- never the service, the practitioner's role or anything clinical.

-- The outbox carries SMS too. The recipient of an SMS is an E.164 number;
-- subject and HTML stay empty.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('email', 'sms'));
ALTER TABLE outbox ADD CONSTRAINT outbox_sms_plain CHECK (kind <> 'sms' OR (subject IS NULL AND body_html IS NULL));

-- The lead time and the channels a practice sends on are already settings of
-- the practice (practice_profile.reminder_hours, reminder_sms, reminder_email,
-- migration 00010, on its settings page): models/reminder reads them there
-- rather than keeping a second copy in tenant_settings.

-- A person may consent to be contacted (sms_consent, email_consent: for
-- anything) yet not want appointment messages.
ALTER TABLE patients ADD COLUMN reminders_opt_out boolean NOT NULL DEFAULT false;

-- One reminder per appointment and channel, waiting for its time. The sweeper
-- (models/reminder) moves a due one into the outbox in the same transaction
-- that marks it sent; cancel and reschedule mark it cancelled; one whose
-- appointment is no longer live, or whose person withdrew consent, is skipped.
CREATE TABLE appointment_reminders (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    appointment_id  uuid NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('sms', 'email')),
    due_at          timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'cancelled', 'skipped')),
    reason          text CHECK (char_length(reason) BETWEEN 1 AND 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, appointment_id, channel),
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id),
    CHECK (status IN ('pending', 'sent') OR reason IS NOT NULL)
);
-- The sweeper reads only pending reminders, soonest first.
CREATE INDEX appointment_reminders_due ON appointment_reminders (tenant_id, due_at) WHERE status = 'pending';
ALTER TABLE appointment_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_reminders FORCE ROW LEVEL SECURITY;
CREATE POLICY appointment_reminders_tenant ON appointment_reminders
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- No DELETE: what was sent, cancelled or skipped stays on record.
GRANT SELECT, INSERT, UPDATE ON appointment_reminders TO tuhono_app;

-- +goose Down
DROP TABLE appointment_reminders;
ALTER TABLE patients DROP COLUMN reminders_opt_out;
ALTER TABLE outbox DROP CONSTRAINT outbox_sms_plain;
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('email'));
