-- +goose Up
-- Enrolled population per practice per quarter, as PHO capitation registers
-- count it, and each staff member's FTE: what the regional bulk import
-- (models/bulk) loads. Both are tenant tables on the standard pattern.
--
-- quarter is the NZ fiscal quarter, written FY2026-Q1: the fiscal year runs
-- 1 July – 30 June and is named by the year it ends in, so FY2026-Q1 is
-- July–September 2025 (DOMAIN.md).
CREATE TABLE enrolment (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    quarter       text NOT NULL CHECK (quarter ~ '^FY[0-9]{4}-Q[1-4]$'),
    -- HISO 10001 prioritised ethnicity: one group per person.
    ethnic_group  text NOT NULL CHECK (ethnic_group IN ('maori', 'pacific', 'asian', 'melaa', 'other', 'european', 'unknown')),
    -- PHO capitation age bands.
    age_band      text NOT NULL CHECK (age_band IN ('00-04', '05-14', '15-24', '25-44', '45-64', '65+')),
    gender        text NOT NULL CHECK (gender IN ('female', 'male', 'another', 'unknown')),
    nzdep         text NOT NULL CHECK (nzdep IN ('1', '2', '3', '4', '5', 'unknown')),
    count         integer NOT NULL CHECK (count >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, quarter, ethnic_group, age_band, gender, nzdep)
);
ALTER TABLE enrolment ENABLE ROW LEVEL SECURITY;
ALTER TABLE enrolment FORCE ROW LEVEL SECURITY;
CREATE POLICY enrolment_tenant ON enrolment
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON enrolment TO tuhono_app;

-- FTE per person per practice, keyed by e-mail so it can be loaded before the
-- invitation is accepted (the membership does not exist yet).
CREATE TABLE staff_fte (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    email       text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(email)),
    fte         numeric(3, 2) NOT NULL CHECK (fte >= 0 AND fte <= 1),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, email)
);
ALTER TABLE staff_fte ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_fte FORCE ROW LEVEL SECURITY;
CREATE POLICY staff_fte_tenant ON staff_fte
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON staff_fte TO tuhono_app;

-- +goose Down
DROP TABLE staff_fte;
DROP TABLE enrolment;
