-- +goose Up
-- Funding contracts and reports (issue 7).
--
-- Funders, contracts and report runs sit above any one tenant, like regions:
-- only db.Platform (app.scope = 'platform') reads or writes them, each use
-- with its purpose logged. Workforce (FTE spans and leave) and the report
-- fact rollup are tenant tables on the standard pattern.

-- A funder organisation (Health NZ, a PHO as funder). Its people hold the
-- funder role in the domain funder:<id> (org_grants) and sign in to the
-- funder portal, never to a practice.
CREATE TABLE funders (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE funders ENABLE ROW LEVEL SECURITY;
ALTER TABLE funders FORCE ROW LEVEL SECURITY;
CREATE POLICY funders_platform ON funders
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT, UPDATE ON funders TO tuhono_app;

-- A funding contract: who pays, in which region, for which practices and
-- service lines, over which period, against which targets, reported how
-- often and under which privacy rules (DOMAIN.md: no Health NZ small-count
-- rule is published, so both are per contract).
CREATE TABLE contracts (
    id                     uuid PRIMARY KEY,
    region_id              uuid NOT NULL REFERENCES regions (id),
    funder_id              uuid NOT NULL REFERENCES funders (id),
    number                 text NOT NULL CHECK (number ~ '^[A-Za-z0-9][A-Za-z0-9/._-]{0,39}$'),
    name                   text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    service_lines          text[] NOT NULL CHECK (cardinality(service_lines) BETWEEN 1 AND 3
                               AND service_lines <@ ARRAY['hip', 'health_coach', 'support_worker']::text[]),
    starts_on              date NOT NULL,
    ends_on                date NOT NULL,
    frequency              text NOT NULL CHECK (frequency IN ('monthly', 'quarterly')),
    -- Counts of people from 1 to threshold − 1 are suppressed.
    suppression_threshold  integer NOT NULL DEFAULT 6 CHECK (suppression_threshold BETWEEN 3 AND 20),
    -- Random rounding to base 3 (Stats NZ), seeded per contract, period and cell.
    random_rounding        boolean NOT NULL DEFAULT true,
    -- The secret part of the rounding seed (with the contract, period and
    -- cell): never shown or exported, so nobody outside can recompute the
    -- draws and narrow a rounded count down to the exact one.
    rounding_key           uuid NOT NULL DEFAULT gen_random_uuid(),
    total_response         boolean NOT NULL DEFAULT false,
    target_seen_7_days     numeric(4, 3) CHECK (target_seen_7_days BETWEEN 0 AND 1),
    target_maori_share     numeric(4, 3) CHECK (target_maori_share BETWEEN 0 AND 1),
    target_pacific_share   numeric(4, 3) CHECK (target_pacific_share BETWEEN 0 AND 1),
    target_new_per_fte     numeric(6, 1) CHECK (target_new_per_fte BETWEEN 0 AND 5000),
    created_by             uuid REFERENCES users (id),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (funder_id, number),
    CHECK (ends_on >= starts_on AND ends_on < starts_on + 3660)
);
CREATE INDEX contracts_region ON contracts (region_id);
ALTER TABLE contracts ENABLE ROW LEVEL SECURITY;
ALTER TABLE contracts FORCE ROW LEVEL SECURITY;
CREATE POLICY contracts_platform ON contracts
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT, UPDATE ON contracts TO tuhono_app;

-- The practices a contract covers, with the FTE it funds per service line.
-- practice_id, not tenant_id: the row belongs to the contract (platform
-- scope), and the practice is what it is about.
CREATE TABLE contract_practices (
    contract_id   uuid NOT NULL REFERENCES contracts (id),
    practice_id   uuid NOT NULL REFERENCES tenants (id),
    service_line  text NOT NULL CHECK (service_line IN ('hip', 'health_coach', 'support_worker')),
    funded_fte    numeric(5, 2) NOT NULL CHECK (funded_fte BETWEEN 0 AND 100),
    PRIMARY KEY (contract_id, practice_id, service_line)
);
CREATE INDEX contract_practices_practice ON contract_practices (practice_id);
ALTER TABLE contract_practices ENABLE ROW LEVEL SECURITY;
ALTER TABLE contract_practices FORCE ROW LEVEL SECURITY;
CREATE POLICY contract_practices_platform ON contract_practices
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT, UPDATE, DELETE ON contract_practices TO tuhono_app;

-- Workforce: a practitioner's FTE for one service line at this practice
-- from a day (and until a day, exclusive), so per-FTE figures follow phased
-- rollouts and changes of hours. Spans of one person and line never overlap.
CREATE TABLE workforce_fte (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    user_id       uuid NOT NULL,
    service_line  text NOT NULL CHECK (service_line IN ('hip', 'health_coach', 'support_worker')),
    fte           numeric(3, 2) NOT NULL CHECK (fte > 0 AND fte <= 1),
    starts_on     date NOT NULL,
    ends_on       date,
    created_by    uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id),
    CHECK (ends_on IS NULL OR ends_on > starts_on),
    CONSTRAINT workforce_fte_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, user_id WITH =, service_line WITH =, daterange(starts_on, ends_on, '[)') WITH &&)
);
ALTER TABLE workforce_fte ENABLE ROW LEVEL SECURITY;
ALTER TABLE workforce_fte FORCE ROW LEVEL SECURITY;
CREATE POLICY workforce_fte_tenant ON workforce_fte
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- A span is ended (ends_on set), not deleted: past figures keep their FTE.
-- A span entered by mistake before it starts may be removed.
GRANT SELECT, INSERT, UPDATE, DELETE ON workforce_fte TO tuhono_app;

-- Leave: whole days a practitioner did not work (annual, sick, training, a
-- regional anniversary day…), inclusive of both ends.
CREATE TABLE workforce_leave (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('annual', 'sick', 'training', 'parental', 'anniversary', 'other')),
    starts_on   date NOT NULL,
    ends_on     date NOT NULL,
    created_by  uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id),
    CHECK (ends_on >= starts_on AND ends_on < starts_on + 400),
    CONSTRAINT workforce_leave_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, user_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&)
);
ALTER TABLE workforce_leave ENABLE ROW LEVEL SECURITY;
ALTER TABLE workforce_leave FORCE ROW LEVEL SECURITY;
CREATE POLICY workforce_leave_tenant ON workforce_leave
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON workforce_leave TO tuhono_app;

-- The report rollup (models/report/facts.go): one row per person, period
-- (a month '2026-07' or a fiscal quarter 'FY2027-Q1'), service line ('all'
-- for every line, a person counted once) and practice, holding what the
-- person's sessions, introductions, scores and referrals add up to. It is
-- derived data, rebuilt per practice and quarter from the source tables
-- whenever report_stale says they changed, so reports sum it in SQL rather
-- than reading every appointment. No names, NHIs, dates of birth or text.
-- No foreign keys: the rows are derived, rebuilt whole, and checking each
-- against tenants and patients would double the rebuild's cost.
CREATE TABLE report_facts (
    tenant_id           uuid NOT NULL,
    period              text NOT NULL,
    quarter             text NOT NULL CHECK (quarter ~ '^FY[0-9]{4}-Q[1-4]$'),
    service_line        text NOT NULL CHECK (service_line IN ('hip', 'health_coach', 'support_worker', 'all')),
    patient_id          uuid NOT NULL,
    ethnic_group        text NOT NULL,
    ethnic_groups       text[] NOT NULL,
    age_band            text NOT NULL,
    youth               boolean NOT NULL,
    gender              text NOT NULL,
    nzdep               text NOT NULL,
    sessions            integer NOT NULL DEFAULT 0,
    s_in_person         integer NOT NULL DEFAULT 0,
    s_phone             integer NOT NULL DEFAULT 0,
    s_video             integer NOT NULL DEFAULT 0,
    s_community         integer NOT NULL DEFAULT 0,
    s_booked            integer NOT NULL DEFAULT 0,
    s_same_day          integer NOT NULL DEFAULT 0,
    s_group             integer NOT NULL DEFAULT 0,
    dna                 integer NOT NULL DEFAULT 0,
    is_new              boolean NOT NULL DEFAULT false,
    introduced          boolean NOT NULL DEFAULT false,
    intro_seen          boolean NOT NULL DEFAULT false,
    intro_same_day      boolean NOT NULL DEFAULT false,
    intro_7_days        boolean NOT NULL DEFAULT false,
    intro_days          integer,
    useful_sum          integer NOT NULL DEFAULT 0,
    useful_n            integer NOT NULL DEFAULT 0,
    k10_n               integer NOT NULL DEFAULT 0,
    k10_change          integer,
    referrals           integer NOT NULL DEFAULT 0,
    referrals_in_target integer NOT NULL DEFAULT 0,
    episodes_closed     integer NOT NULL DEFAULT 0,
    caseload            boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, period, service_line, patient_id)
);
-- A change to a person's details marks the quarters they appear in.
CREATE INDEX report_facts_patient ON report_facts (tenant_id, patient_id);
CREATE INDEX report_facts_quarter ON report_facts (tenant_id, quarter);
ALTER TABLE report_facts ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_facts FORCE ROW LEVEL SECURITY;
-- A region's report reads millions of these rows across its practices: the
-- usual `= ANY (setting::uuid[])` would parse the list of practices again
-- for every row (tens of seconds), so the list is searched as text instead.
-- A uuid's 36 characters hold no comma, so one matches only as a whole
-- element of '{a,b,…}'.
CREATE POLICY report_facts_tenant ON report_facts
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR strpos(current_setting('app.tenant_ids', true), tenant_id::text) > 0)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON report_facts TO tuhono_app;

-- Quarters of a practice whose facts must be rebuilt: marked by triggers in
-- the same transaction as the change, cleared by the rebuild.
CREATE TABLE report_stale (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    quarter    text NOT NULL CHECK (quarter ~ '^FY[0-9]{4}-Q[1-4]$'),
    PRIMARY KEY (tenant_id, quarter)
);
ALTER TABLE report_stale ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_stale FORCE ROW LEVEL SECURITY;
CREATE POLICY report_stale_tenant ON report_stale
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON report_stale TO tuhono_app;

-- The rebuild asks which appointment a queued handover became.
CREATE INDEX handovers_appointment ON handovers (tenant_id, appointment_id) WHERE appointment_id IS NOT NULL;

-- The NZ fiscal quarter of a local date: FY named by the year it ends in.
CREATE FUNCTION report_quarter(d date) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'FY' || (extract(year FROM d)::int + CASE WHEN extract(month FROM d) >= 7 THEN 1 ELSE 0 END)
        || '-Q' || ((extract(month FROM d)::int + 5) % 12 / 3 + 1)
$$;

-- Mark the quarters of a practice from local day a to local day b. Local days
-- are taken in Pacific/Auckland with a day's margin each side, which covers
-- Pacific/Chatham (45 minutes ahead) too.
CREATE FUNCTION report_mark(t uuid, a timestamptz, b timestamptz) RETURNS void LANGUAGE sql AS $$
    INSERT INTO report_stale (tenant_id, quarter)
    SELECT DISTINCT t, report_quarter(d::date)
    FROM (SELECT (a AT TIME ZONE 'Pacific/Auckland')::date - 1 AS lo,
                 (greatest(a, b) AT TIME ZONE 'Pacific/Auckland')::date + 1 AS hi) r,
         LATERAL (SELECT generate_series(r.lo, r.hi, interval '1 month') AS d UNION SELECT r.hi) s
    ON CONFLICT DO NOTHING
$$;

-- A session completing (or un-completing) marks its quarter; the rebuild
-- (models/report) also takes the quarter before (an introduction there may
-- now count as seen) and the four after (whether a person is new looks back
-- 12 months). Inserts are marked per statement, from the transition table:
-- loading history is a few multi-row inserts, and a booking (status booked,
-- no introduction) adds nothing.
-- +goose StatementBegin
CREATE FUNCTION report_appointments_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_stale (tenant_id, quarter)
    SELECT DISTINCT n.tenant_id, report_quarter((v.ts AT TIME ZONE 'Pacific/Auckland')::date + o.d)
    FROM new_rows n
    CROSS JOIN LATERAL (VALUES (CASE WHEN n.status IN ('completed', 'did_not_attend') THEN n.starts_at END),
                               (n.introduced_at)) AS v(ts)
    CROSS JOIN (VALUES (-1), (1)) AS o(d)
    WHERE v.ts IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_appointments_insert AFTER INSERT ON appointments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION report_appointments_inserted();

-- +goose StatementBegin
CREATE FUNCTION report_appointments_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('completed', 'did_not_attend') OR OLD.starts_at <> NEW.starts_at THEN
        PERFORM report_mark(OLD.tenant_id, OLD.starts_at, OLD.starts_at);
    END IF;
    IF NEW.status IN ('completed', 'did_not_attend') THEN
        PERFORM report_mark(NEW.tenant_id, NEW.starts_at, NEW.starts_at);
    END IF;
    IF NEW.introduced_at IS NOT NULL AND OLD.introduced_at IS DISTINCT FROM NEW.introduced_at THEN
        PERFORM report_mark(NEW.tenant_id, NEW.introduced_at, NEW.introduced_at);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_appointments_update AFTER UPDATE ON appointments FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status AND (OLD.status IN ('completed', 'did_not_attend') OR NEW.status IN ('completed', 'did_not_attend'))
          OR (OLD.starts_at IS DISTINCT FROM NEW.starts_at AND NEW.status IN ('completed', 'did_not_attend'))
          OR OLD.introduced_at IS DISTINCT FROM NEW.introduced_at)
    EXECUTE FUNCTION report_appointments_mark();

-- A group's attendees are people seen when the group completes.
-- +goose StatementBegin
CREATE FUNCTION report_attendees_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark(a.tenant_id, a.starts_at, a.starts_at)
    FROM appointments a WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.appointment_id
        AND a.status IN ('completed', 'did_not_attend');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_attendees_mark AFTER INSERT ON appointment_attendees FOR EACH ROW
    EXECUTE FUNCTION report_attendees_mark();

-- +goose StatementBegin
CREATE FUNCTION report_handovers_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark(NEW.tenant_id, NEW.introduced_at, NEW.introduced_at);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_handovers_mark AFTER INSERT OR UPDATE OF status, service_line, appointment_id ON handovers
    FOR EACH ROW EXECUTE FUNCTION report_handovers_mark();

-- +goose StatementBegin
CREATE FUNCTION report_measures_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark(NEW.tenant_id, NEW.recorded_at, NEW.recorded_at);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_measures_mark AFTER INSERT ON measure_results FOR EACH ROW
    WHEN (NEW.kind IN ('k10', 'usefulness'))
    EXECUTE FUNCTION report_measures_mark();

-- A referral counts where it was made, contacted and closed, and in the
-- caseload of every quarter it is open through: mark from referral to now
-- (an episode lasts about three months).
-- +goose StatementBegin
CREATE FUNCTION report_referrals_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark(NEW.tenant_id, NEW.referred_at, greatest(now(), coalesce(NEW.closed_at, now())));
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_referrals_mark AFTER INSERT OR UPDATE ON referrals FOR EACH ROW
    EXECUTE FUNCTION report_referrals_mark();

-- A change to a person's details moves them between breakdown groups in
-- every quarter they appear in.
-- +goose StatementBegin
CREATE FUNCTION report_patients_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_stale (tenant_id, quarter)
    SELECT DISTINCT tenant_id, quarter FROM report_facts WHERE tenant_id = NEW.tenant_id AND patient_id = NEW.id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_patients_mark AFTER UPDATE ON patients FOR EACH ROW
    WHEN (OLD.date_of_birth IS DISTINCT FROM NEW.date_of_birth OR OLD.gender IS DISTINCT FROM NEW.gender
          OR OLD.ethnicity IS DISTINCT FROM NEW.ethnicity OR OLD.ethnic_group IS DISTINCT FROM NEW.ethnic_group
          OR OLD.nzdep_quintile IS DISTINCT FROM NEW.nzdep_quintile)
    EXECUTE FUNCTION report_patients_mark();

-- A report run: a contract's report for one period, generated from the facts
-- as they stood at as_of, stored with its parameters and output files, and
-- published only after review. A run is never changed: regenerating makes
-- the next version. Only its review and publication are written later.
CREATE TABLE report_runs (
    id             uuid PRIMARY KEY,
    contract_id    uuid NOT NULL REFERENCES contracts (id),
    period         text NOT NULL CHECK (period ~ '^(FY[0-9]{4}-Q[1-4]|[0-9]{4}-[0-9]{2})$'),
    version        integer NOT NULL CHECK (version >= 1),
    parameters     jsonb NOT NULL,
    as_of          timestamptz NOT NULL,
    input_sha256   text NOT NULL CHECK (input_sha256 ~ '^[0-9a-f]{64}$'),
    generated_by   uuid REFERENCES users (id),
    generated_at   timestamptz NOT NULL DEFAULT now(),
    status         text NOT NULL DEFAULT 'review' CHECK (status IN ('review', 'published', 'withdrawn')),
    reviewed_by    uuid REFERENCES users (id),
    published_at   timestamptz,
    withdrawn_at   timestamptz,
    UNIQUE (contract_id, period, version),
    CHECK ((status = 'published') = (published_at IS NOT NULL AND withdrawn_at IS NULL) OR status = 'withdrawn'),
    CHECK (status <> 'withdrawn' OR withdrawn_at IS NOT NULL)
);
ALTER TABLE report_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY report_runs_platform ON report_runs
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT ON report_runs TO tuhono_app;
GRANT UPDATE (status, reviewed_by, published_at, withdrawn_at) ON report_runs TO tuhono_app;

-- review → published → withdrawn, or review → withdrawn; never back.
-- +goose StatementBegin
CREATE FUNCTION report_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ((OLD.status = 'review' AND NEW.status IN ('published', 'withdrawn'))
            OR (OLD.status = 'published' AND NEW.status = 'withdrawn')
            OR OLD.status = NEW.status AND OLD.reviewed_by IS NOT DISTINCT FROM NEW.reviewed_by
               AND OLD.published_at IS NOT DISTINCT FROM NEW.published_at
               AND OLD.withdrawn_at IS NOT DISTINCT FROM NEW.withdrawn_at) THEN
        RAISE EXCEPTION 'a report run moves from review to published to withdrawn, never back' USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_runs_guard BEFORE UPDATE ON report_runs FOR EACH ROW EXECUTE FUNCTION report_runs_guard();

-- A run's files, each with its SHA-256: written once with the run, never
-- changed (no UPDATE or DELETE grant). 'input' is the exact figures the run
-- was made from (never offered to funders).
CREATE TABLE report_files (
    run_id        uuid NOT NULL REFERENCES report_runs (id),
    format        text NOT NULL CHECK (format IN ('csv', 'dictionary', 'xlsx', 'pdf', 'input')),
    filename      text NOT NULL CHECK (filename ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$'),
    content_type  text NOT NULL,
    size          integer NOT NULL CHECK (size >= 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    body          bytea NOT NULL,
    PRIMARY KEY (run_id, format),
    CHECK (length(body) = size)
);
ALTER TABLE report_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_files FORCE ROW LEVEL SECURITY;
CREATE POLICY report_files_platform ON report_files
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT ON report_files TO tuhono_app;

-- +goose Down
DROP TABLE report_files;
DROP TABLE report_runs;
DROP FUNCTION report_runs_guard();
DROP TRIGGER report_patients_mark ON patients;
DROP FUNCTION report_patients_mark();
DROP TRIGGER report_referrals_mark ON referrals;
DROP FUNCTION report_referrals_mark();
DROP TRIGGER report_measures_mark ON measure_results;
DROP FUNCTION report_measures_mark();
DROP TRIGGER report_handovers_mark ON handovers;
DROP FUNCTION report_handovers_mark();
DROP TRIGGER report_attendees_mark ON appointment_attendees;
DROP FUNCTION report_attendees_mark();
DROP TRIGGER report_appointments_update ON appointments;
DROP TRIGGER report_appointments_insert ON appointments;
DROP FUNCTION report_appointments_mark();
DROP FUNCTION report_appointments_inserted();
DROP FUNCTION report_mark(uuid, timestamptz, timestamptz);
DROP FUNCTION report_quarter(date);
DROP INDEX handovers_appointment;
DROP TABLE report_stale;
DROP TABLE report_facts;
DROP TABLE workforce_leave;
DROP TABLE workforce_fte;
DROP TABLE contract_practices;
DROP TABLE contracts;
DROP TABLE funders;
