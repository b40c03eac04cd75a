-- +goose Up
-- Support Worker referrals (issue 5, item 5): a HIP or Health Coach refers a
-- person, with their consent, for brief community support on social and
-- cultural needs; a Support Worker accepts, makes first contact within the
-- practice's target, supports them for up to about three months and closes
-- the episode with an outcome (DOMAIN.md).
CREATE TABLE referrals (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    id                  uuid NOT NULL,
    patient_id          uuid NOT NULL,
    referred_by         uuid NOT NULL,
    needs               text[] NOT NULL CHECK (cardinality(needs) BETWEEN 1 AND 9 AND needs <@ ARRAY[
                            'housing', 'income', 'whanau', 'work', 'stress', 'food', 'transport', 'legal', 'other']::text[]),
    note                text NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
    -- The person agreed to the referral: who recorded it and when. No consent,
    -- no referral.
    consent_recorded_by uuid NOT NULL REFERENCES users (id),
    consent_at          timestamptz NOT NULL,
    referred_at         timestamptz NOT NULL,
    -- The last local day (tenant's zone) by which first contact is due.
    due_by              date NOT NULL,
    status              text NOT NULL CHECK (status IN ('referred', 'accepted', 'contacted', 'active', 'closed')),
    worker_id           uuid,
    accepted_at         timestamptz,
    first_contact_at    timestamptz,
    closed_by           uuid REFERENCES users (id),
    closed_at           timestamptz,
    outcome             text CHECK (outcome IN ('needs_met', 'partly_met', 'declined', 'lost_contact',
                            'referred_elsewhere', 'other')),
    outcome_note        text NOT NULL DEFAULT '' CHECK (char_length(outcome_note) <= 2000),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, referred_by) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, worker_id) REFERENCES memberships (tenant_id, user_id),
    -- A referral closed before anyone accepted it (the person declined) has
    -- no worker.
    CHECK (status <> 'referred' OR worker_id IS NULL),
    CHECK (status NOT IN ('accepted', 'contacted', 'active') OR worker_id IS NOT NULL),
    CHECK (worker_id IS NULL OR accepted_at IS NOT NULL),
    CHECK (status NOT IN ('contacted', 'active') OR first_contact_at IS NOT NULL),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL AND outcome IS NOT NULL))
);
-- The Support Workers' queue: open referrals by due day.
CREATE INDEX referrals_open ON referrals (tenant_id, due_by) WHERE status <> 'closed';
CREATE INDEX referrals_patient ON referrals (tenant_id, patient_id, referred_at);
ALTER TABLE referrals ENABLE ROW LEVEL SECURITY;
ALTER TABLE referrals FORCE ROW LEVEL SECURITY;
CREATE POLICY referrals_tenant ON referrals
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- No DELETE: a referral is closed, never removed (funders report referral to
-- first contact).
GRANT SELECT, INSERT, UPDATE ON referrals TO tuhono_app;

-- Contact attempts and contacts of a referral's Support Worker. A contact
-- that reached the person is, after the first, a support session.
CREATE TABLE referral_contacts (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    referral_id  uuid NOT NULL,
    worker_id    uuid NOT NULL,
    at           timestamptz NOT NULL,
    mode         text NOT NULL CHECK (mode IN ('phone', 'text', 'email', 'in_person', 'video', 'community')),
    outcome      text NOT NULL CHECK (outcome IN ('reached', 'no_answer', 'left_message', 'wrong_number')),
    note         text NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, referral_id) REFERENCES referrals (tenant_id, id),
    FOREIGN KEY (tenant_id, worker_id) REFERENCES memberships (tenant_id, user_id)
);
CREATE INDEX referral_contacts_referral ON referral_contacts (tenant_id, referral_id, at);
ALTER TABLE referral_contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_contacts FORCE ROW LEVEL SECURITY;
CREATE POLICY referral_contacts_tenant ON referral_contacts
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- History: contacts are added, never changed or removed.
GRANT SELECT, INSERT ON referral_contacts TO tuhono_app;

-- +goose Down
DROP TABLE referral_contacts;
DROP TABLE referrals;
