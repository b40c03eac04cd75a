-- +goose Up
-- Appointments: who sees whom, when, how. Double booking of a practitioner is
-- impossible by construction (DESIGN.md): an exclusion constraint over the
-- practitioner's live time ranges. btree_gist gives the `=` parts of it; it
-- is a trusted extension, so the owner may create it (deploy/db/roles.sql
-- creates it as the administrator too, for providers that allow only that).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE appointments (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    -- A user with a membership here (HIP, Health Coach or Support Worker).
    practitioner_id   uuid NOT NULL,
    -- The person seen; NULL only for a group, whose people are attendees.
    patient_id        uuid,
    kind              text NOT NULL CHECK (kind IN ('booked', 'same_day', 'group')),
    mode              text NOT NULL CHECK (mode IN ('in_person', 'phone', 'video', 'community')),
    service_line      text NOT NULL CHECK (service_line IN ('hip', 'health_coach', 'support_worker')),
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    status            text NOT NULL CHECK (status IN ('held', 'booked', 'arrived', 'in_session',
                          'completed', 'did_not_attend', 'cancelled')),
    -- A hold keeps a slot a few minutes while a GP confirms. An expired hold
    -- still counts to the constraint until the booking path cancels it (in
    -- the same transaction as the booking that wants the time).
    hold_expires_at   timestamptz,
    capacity          integer CHECK (capacity BETWEEN 1 AND 100),
    -- Warm handover: the GP or nurse who introduced the person, and when
    -- (funders watch introduction-to-seen time: keep it apart from starts_at).
    introduced_by     uuid,
    introduced_at     timestamptz,
    -- A reschedule cancels this row (reason 'rescheduled') and makes a new
    -- one pointing back: the history stays.
    rescheduled_from  uuid,
    cancelled_by      uuid REFERENCES users (id), -- NULL: the system (an expired hold)
    cancelled_at      timestamptz,
    cancel_reason     text CHECK (length(cancel_reason) BETWEEN 1 AND 500),
    created_by        uuid NOT NULL REFERENCES users (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, practitioner_id) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, introduced_by) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, rescheduled_from) REFERENCES appointments (tenant_id, id),
    CHECK (ends_at > starts_at),
    CHECK ((kind = 'group') = (patient_id IS NULL)),
    CHECK ((kind = 'group') = (capacity IS NOT NULL)),
    CHECK (status <> 'held' OR hold_expires_at IS NOT NULL),
    CHECK (status <> 'cancelled' OR (cancelled_at IS NOT NULL AND cancel_reason IS NOT NULL)),
    CHECK (introduced_by IS NULL OR introduced_at IS NOT NULL),
    CONSTRAINT appointments_no_double_booking EXCLUDE USING gist (
        tenant_id WITH =, practitioner_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
        WHERE (status IN ('held', 'booked', 'arrived', 'in_session'))
);
-- The day board of a practice, and a person's timeline.
CREATE INDEX appointments_day ON appointments (tenant_id, starts_at);
CREATE INDEX appointments_patient ON appointments (tenant_id, patient_id, starts_at) WHERE patient_id IS NOT NULL;
ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointments FORCE ROW LEVEL SECURITY;
CREATE POLICY appointments_tenant ON appointments
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- No DELETE: an appointment is cancelled, never removed (history, reporting).
GRANT SELECT, INSERT, UPDATE ON appointments TO tuhono_app;

-- The people of a group appointment (capacity on the appointment).
CREATE TABLE appointment_attendees (
    tenant_id       uuid NOT NULL,
    appointment_id  uuid NOT NULL,
    patient_id      uuid NOT NULL,
    added_by        uuid NOT NULL REFERENCES users (id),
    added_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, appointment_id, patient_id),
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id)
);
CREATE INDEX appointment_attendees_patient ON appointment_attendees (tenant_id, patient_id);
ALTER TABLE appointment_attendees ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_attendees FORCE ROW LEVEL SECURITY;
CREATE POLICY appointment_attendees_tenant ON appointment_attendees
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON appointment_attendees TO tuhono_app;

-- +goose Down
-- btree_gist stays: it may have been created by the administrator, and other
-- objects may use it.
DROP TABLE appointment_attendees;
DROP TABLE appointments;
