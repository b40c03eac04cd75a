-- +goose Up
-- The waitlist (issue 5, item 6): dateless entries with an urgency and
-- preferred times; when a matching slot frees up the practice is offered the
-- top entries. An entry leaves the list when booked or withdrawn, and stays
-- as history.
CREATE TABLE waitlist_entries (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    patient_id       uuid NOT NULL,
    service_line     text NOT NULL CHECK (service_line IN ('hip', 'health_coach', 'support_worker')),
    -- NULL: anyone in the service line.
    practitioner_id  uuid,
    urgency          text NOT NULL CHECK (urgency IN ('routine', 'soon', 'urgent')),
    -- Weekday and part of the day in the tenant's zone, "mon:morning" …
    -- "sun:evening"; empty means any time.
    preferred        text[] NOT NULL DEFAULT '{}' CHECK (cardinality(preferred) <= 21 AND
                         array_to_string(preferred, ',') ~ '^((mon|tue|wed|thu|fri|sat|sun):(morning|afternoon|evening)(,|$))*$'),
    note             text NOT NULL DEFAULT '' CHECK (char_length(note) <= 1000),
    status           text NOT NULL CHECK (status IN ('open', 'booked', 'withdrawn')),
    appointment_id   uuid,
    added_by         uuid NOT NULL REFERENCES users (id),
    closed_by        uuid REFERENCES users (id),
    closed_at        timestamptz,
    withdraw_reason  text CHECK (char_length(withdraw_reason) BETWEEN 1 AND 500),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, practitioner_id) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id),
    CHECK ((status = 'open') = (closed_at IS NULL)),
    CHECK ((status = 'booked') = (appointment_id IS NOT NULL)),
    CHECK ((status = 'withdrawn') = (withdraw_reason IS NOT NULL))
);
-- Offers for a freed slot: open entries of a service line, most urgent and
-- oldest first.
-- A person is on the list once per service line at a time.
CREATE UNIQUE INDEX waitlist_once ON waitlist_entries (tenant_id, patient_id, service_line) WHERE status = 'open';
CREATE INDEX waitlist_open ON waitlist_entries (tenant_id, service_line, created_at) WHERE status = 'open';
ALTER TABLE waitlist_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE waitlist_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY waitlist_entries_tenant ON waitlist_entries
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- No DELETE: a withdrawn or booked entry stays as history.
GRANT SELECT, INSERT, UPDATE ON waitlist_entries TO tuhono_app;

-- +goose Down
DROP TABLE waitlist_entries;
