-- +goose Up
-- Per-practice report cells: the report facts summed per practice, period,
-- line and breakdown group, kept beside the facts and rebuilt with them.
--
-- Every sum of a report counts each practice's own people, so a region's
-- figures are sums of its practices' cells: a 200-practice report adds up
-- some tens of thousands of these rows where it read millions of facts. The
-- medians, which do not add up, come from report_days: how many introduced
-- people waited each number of days, per practice, period, line and group.
CREATE TABLE report_cells (
    tenant_id      uuid NOT NULL,
    period         text NOT NULL,
    quarter        text NOT NULL CHECK (quarter ~ '^FY[0-9]{4}-Q[1-4]$'),
    service_line   text NOT NULL CHECK (service_line IN ('hip', 'health_coach', 'support_worker', 'all')),
    -- '' for the practice's total; else a breakdown and one of its groups.
    dim            text NOT NULL,
    grp            text NOT NULL,
    seen           bigint NOT NULL,
    sessions       bigint NOT NULL,
    in_person      bigint NOT NULL,
    p_in_person    bigint NOT NULL,
    phone          bigint NOT NULL,
    p_phone        bigint NOT NULL,
    video          bigint NOT NULL,
    p_video        bigint NOT NULL,
    community      bigint NOT NULL,
    p_community    bigint NOT NULL,
    booked         bigint NOT NULL,
    p_booked       bigint NOT NULL,
    same_day       bigint NOT NULL,
    p_same_day     bigint NOT NULL,
    grp_           bigint NOT NULL,
    p_grp          bigint NOT NULL,
    new            bigint NOT NULL,
    dna            bigint NOT NULL,
    dna_people     bigint NOT NULL,
    sd_people      bigint NOT NULL,
    intro          bigint NOT NULL,
    intro_seen     bigint NOT NULL,
    intro_same_day bigint NOT NULL,
    intro7         bigint NOT NULL,
    useful_sum     bigint NOT NULL,
    useful_n       bigint NOT NULL,
    useful_people  bigint NOT NULL,
    k10_people     bigint NOT NULL,
    k10_sum        bigint NOT NULL,
    referrals      bigint NOT NULL,
    ref_people     bigint NOT NULL,
    ref_target     bigint NOT NULL,
    closed         bigint NOT NULL,
    closed_people  bigint NOT NULL,
    caseload       bigint NOT NULL,
    PRIMARY KEY (tenant_id, period, service_line, dim, grp)
);
CREATE INDEX report_cells_quarter ON report_cells (tenant_id, quarter);
ALTER TABLE report_cells ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_cells FORCE ROW LEVEL SECURITY;
-- The list of practices is read once per statement (a sub-select), not
-- once per row: see migration 00027.
CREATE POLICY report_cells_tenant ON report_cells
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY ((SELECT nullif(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON report_cells TO tuhono_app;

CREATE TABLE report_days (
    tenant_id    uuid NOT NULL,
    period       text NOT NULL,
    quarter      text NOT NULL CHECK (quarter ~ '^FY[0-9]{4}-Q[1-4]$'),
    service_line text NOT NULL CHECK (service_line IN ('hip', 'health_coach', 'support_worker', 'all')),
    dim          text NOT NULL,
    grp          text NOT NULL,
    days         integer NOT NULL,
    people       bigint NOT NULL CHECK (people > 0),
    PRIMARY KEY (tenant_id, period, service_line, dim, grp, days)
);
CREATE INDEX report_days_quarter ON report_days (tenant_id, quarter);
ALTER TABLE report_days ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_days FORCE ROW LEVEL SECURITY;
CREATE POLICY report_days_tenant ON report_days
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY ((SELECT nullif(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON report_days TO tuhono_app;

-- What each practice's report inputs are at: bumped whenever its cells are
-- rebuilt and whenever its enrolment, FTE or leave changes, in the same
-- transaction. A dashboard keeps a computed report while the sum of its
-- practices' versions (which only grow) is unchanged.
CREATE TABLE report_versions (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    version   bigint NOT NULL CHECK (version > 0)
);
ALTER TABLE report_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY report_versions_tenant ON report_versions
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY ((SELECT nullif(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON report_versions TO tuhono_app;

-- +goose StatementBegin
CREATE FUNCTION report_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_versions AS v (tenant_id, version)
    SELECT DISTINCT t, 1 FROM (
        SELECT tenant_id AS t FROM changed_new UNION ALL SELECT tenant_id FROM changed_old) c
    ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION report_version_bump_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_versions AS v (tenant_id, version)
    SELECT DISTINCT tenant_id, 1 FROM changed_new
    ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION report_version_bump_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_versions AS v (tenant_id, version)
    SELECT DISTINCT tenant_id, 1 FROM changed_old
    ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER enrolment_version_insert AFTER INSERT ON enrolment
    REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION report_version_bump_new();
CREATE TRIGGER enrolment_version_update AFTER UPDATE ON enrolment
    REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION report_version_bump();
CREATE TRIGGER enrolment_version_delete AFTER DELETE ON enrolment
    REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION report_version_bump_old();
CREATE TRIGGER workforce_fte_version_insert AFTER INSERT ON workforce_fte
    REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION report_version_bump_new();
CREATE TRIGGER workforce_fte_version_update AFTER UPDATE ON workforce_fte
    REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION report_version_bump();
CREATE TRIGGER workforce_fte_version_delete AFTER DELETE ON workforce_fte
    REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION report_version_bump_old();
CREATE TRIGGER workforce_leave_version_insert AFTER INSERT ON workforce_leave
    REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION report_version_bump_new();
CREATE TRIGGER workforce_leave_version_update AFTER UPDATE ON workforce_leave
    REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION report_version_bump();
CREATE TRIGGER workforce_leave_version_delete AFTER DELETE ON workforce_leave
    REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION report_version_bump_old();

-- Facts built before these tables existed have no cells: mark their
-- quarters stale so the next report rebuilds them (with their cells). The
-- walls are lifted for this statement only: it copies keys between two
-- tables of the same tenants.
ALTER TABLE report_facts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE report_stale NO FORCE ROW LEVEL SECURITY;
INSERT INTO report_stale (tenant_id, quarter)
SELECT DISTINCT tenant_id, quarter FROM report_facts
ON CONFLICT DO NOTHING;
ALTER TABLE report_stale FORCE ROW LEVEL SECURITY;
ALTER TABLE report_facts FORCE ROW LEVEL SECURITY;

-- +goose Down
DROP TRIGGER workforce_leave_version_delete ON workforce_leave;
DROP TRIGGER workforce_leave_version_update ON workforce_leave;
DROP TRIGGER workforce_leave_version_insert ON workforce_leave;
DROP TRIGGER workforce_fte_version_delete ON workforce_fte;
DROP TRIGGER workforce_fte_version_update ON workforce_fte;
DROP TRIGGER workforce_fte_version_insert ON workforce_fte;
DROP TRIGGER enrolment_version_delete ON enrolment;
DROP TRIGGER enrolment_version_update ON enrolment;
DROP TRIGGER enrolment_version_insert ON enrolment;
DROP FUNCTION report_version_bump_old();
DROP FUNCTION report_version_bump_new();
DROP FUNCTION report_version_bump();
DROP TABLE report_versions;
DROP TABLE report_days;
DROP TABLE report_cells;
