-- +goose Up
-- Warm handover: the practice's same-day queue. A GP or nurse who cannot hand
-- a person straight to a free HIP or Health Coach puts them here with a note;
-- the first HIP or Health Coach to take them books a same-day appointment
-- that carries the introduction (introduced_by, introduced_at). An entry is
-- never deleted: it is taken or withdrawn, and the history stays for the
-- introduction-to-seen figures funders watch.
CREATE TABLE handovers (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    patient_id        uuid NOT NULL,
    -- The workforce wanted: NULL when either a HIP or a Health Coach will do.
    service_line      text CHECK (service_line IN ('hip', 'health_coach')),
    note              text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    introduced_by     uuid NOT NULL,
    introduced_at     timestamptz NOT NULL DEFAULT now(),
    status            text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'taken', 'withdrawn')),
    taken_by          uuid,
    taken_at          timestamptz,
    appointment_id    uuid,
    withdrawn_by      uuid REFERENCES users (id),
    withdrawn_at      timestamptz,
    withdraw_reason   text CHECK (length(withdraw_reason) BETWEEN 1 AND 500),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, introduced_by) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, taken_by) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id),
    CHECK ((status = 'taken') = (taken_by IS NOT NULL AND taken_at IS NOT NULL AND appointment_id IS NOT NULL)),
    CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL AND withdraw_reason IS NOT NULL))
);
-- The live queue: a practice's waiting entries, oldest first.
CREATE INDEX handovers_waiting ON handovers (tenant_id, introduced_at) WHERE status = 'waiting';
CREATE INDEX handovers_patient ON handovers (tenant_id, patient_id);
-- A person waits in the queue once: a second introduction is a conflict.
CREATE UNIQUE INDEX handovers_one_wait ON handovers (tenant_id, patient_id) WHERE status = 'waiting';
-- The queue's version (what pollers compare) is the latest change.
CREATE INDEX handovers_changed ON handovers (tenant_id, updated_at);
ALTER TABLE handovers ENABLE ROW LEVEL SECURITY;
ALTER TABLE handovers FORCE ROW LEVEL SECURITY;
CREATE POLICY handovers_tenant ON handovers
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- No DELETE: an entry is taken or withdrawn, never removed.
GRANT SELECT, INSERT, UPDATE ON handovers TO tuhono_app;

-- When the session started (the move to in_session). Introduction-to-seen
-- time is seen_at − introduced_at; starts_at is when it was planned, which
-- for a booking ahead says nothing about how long the person waited.
ALTER TABLE appointments ADD COLUMN seen_at timestamptz;

-- +goose Down
ALTER TABLE appointments DROP COLUMN seen_at;
DROP TABLE handovers;
