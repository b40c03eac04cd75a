-- +goose Up
-- Patients (models/patient): the people a practice sees. Health records are
-- kept at least 10 years from the last service (Health (Retention of Health
-- Information) Regulations 1996): the app role may not delete them.
CREATE TABLE patients (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,                     -- UUIDv7
    -- Normalised (upper case) and checked by HISO 10046:2023 in Go.
    nhi               text CHECK (nhi ~ '^[A-HJ-NP-Z]{3}[0-9]{2}([0-9]{2}|[A-HJ-NP-Z]{2})$'),
    family_name       text NOT NULL CHECK (char_length(family_name) BETWEEN 1 AND 100),
    given_names       text NOT NULL DEFAULT '' CHECK (char_length(given_names) <= 100),
    preferred_name    text NOT NULL DEFAULT '' CHECK (char_length(preferred_name) <= 100),
    -- Lower case, diacritics (macrons) folded, made in Go: 'Māori' and
    -- 'Maori' search alike.
    name_search       text NOT NULL CHECK (char_length(name_search) <= 201),
    date_of_birth     date NOT NULL CHECK (date_of_birth >= DATE '1900-01-01'),
    gender            text NOT NULL DEFAULT 'unknown' CHECK (gender IN ('female', 'male', 'another', 'unknown')),
    -- HISO 10001 level 2 or level 4 codes, up to six.
    ethnicity         text[] NOT NULL DEFAULT '{}' CHECK (cardinality(ethnicity) <= 6),
    -- Prioritised group, derived in Go from ethnicity.
    ethnic_group      text NOT NULL DEFAULT 'unknown'
                      CHECK (ethnic_group IN ('maori', 'pacific', 'asian', 'melaa', 'other', 'european', 'unknown')),
    iwi               text NOT NULL DEFAULT '' CHECK (char_length(iwi) <= 100),
    nzdep_quintile    integer CHECK (nzdep_quintile BETWEEN 1 AND 5),
    enrolment_status  text NOT NULL DEFAULT 'unknown'
                      CHECK (enrolment_status IN ('enrolled', 'casual', 'not_enrolled', 'unknown')),
    enrolled_on       date,
    phone             text NOT NULL DEFAULT '' CHECK (char_length(phone) <= 32),
    email             text NOT NULL DEFAULT '' CHECK (char_length(email) <= 254),
    sms_consent       boolean NOT NULL DEFAULT false,
    email_consent     boolean NOT NULL DEFAULT false,
    -- Whānau or support contact, free text.
    support_contact   text NOT NULL DEFAULT '' CHECK (char_length(support_contact) <= 500),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (NOT sms_consent OR phone <> ''),
    CHECK (NOT email_consent OR email <> '')
);
-- One person per NHI per practice.
CREATE UNIQUE INDEX patients_nhi ON patients (tenant_id, nhi) WHERE nhi IS NOT NULL;
-- Prefix search (LIKE 'q%') needs pattern ops whatever the database collation.
CREATE INDEX patients_name_search ON patients (tenant_id, name_search text_pattern_ops);
-- The likely-duplicate check: same name and date of birth.
CREATE INDEX patients_name_dob ON patients (tenant_id, date_of_birth, name_search);
ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE patients FORCE ROW LEVEL SECURITY;
CREATE POLICY patients_tenant ON patients
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- No DELETE: health records are kept for at least 10 years.
GRANT SELECT, INSERT, UPDATE ON patients TO tuhono_app;

-- +goose Down
DROP TABLE patients;
