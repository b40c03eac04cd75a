-- +goose Up
-- Practice administration: the practice's own profile (opening hours, rooms,
-- appointment reminders). When a practice went live is tenants.go_live_at
-- (00008).

CREATE TABLE practice_profile (
    tenant_id       uuid PRIMARY KEY REFERENCES tenants (id),
    -- {"mon": {"open": "08:00", "close": "17:30"}, …}: a weekday that is
    -- absent is closed. Times are wall-clock times in the tenant's time zone,
    -- so a practice opening at 8 opens at 8 on both sides of daylight saving.
    -- The shape is validated in models/onboarding before it is written.
    opening_hours   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(opening_hours) = 'object'),
    rooms           text[] NOT NULL DEFAULT '{}' CHECK (cardinality(rooms) <= 50),
    -- How long before an appointment its reminder goes out.
    reminder_hours  integer NOT NULL DEFAULT 24 CHECK (reminder_hours BETWEEN 1 AND 168),
    reminder_sms    boolean NOT NULL DEFAULT true,
    reminder_email  boolean NOT NULL DEFAULT true,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE practice_profile ENABLE ROW LEVEL SECURITY;
ALTER TABLE practice_profile FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_profile_tenant ON practice_profile
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON practice_profile TO tuhono_app;

-- +goose Down
DROP TABLE practice_profile;
