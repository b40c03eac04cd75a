-- +goose Up
-- Clinical notes (issue 6). The body of a note, of an addendum and the item
-- answers of an outcome measure are stored only as ciphertext sealed with the
-- tenant's data key (models/keys): the database never holds note text in
-- clear. What lists and reports need (who, whom, when, kind, status, flags,
-- measure totals) is kept in clear beside it.

-- Per-tenant choices: Health Coach notes co-signed by a HIP (off unless the
-- practice turns it on), and who is told of a break-glass access.
ALTER TABLE tenant_settings
    ADD COLUMN coach_cosign_required boolean NOT NULL DEFAULT false,
    ADD COLUMN privacy_officer_email text CHECK (length(privacy_officer_email) BETWEEN 3 AND 254);

CREATE TABLE notes (
    tenant_id            uuid NOT NULL REFERENCES tenants (id),
    id                   uuid NOT NULL,
    patient_id           uuid NOT NULL,
    -- A session note belongs to an appointment; a Support Worker's note may
    -- belong to a contact of a referral instead. Exactly one of the two.
    appointment_id       uuid,
    referral_contact_id  uuid,
    author_id            uuid NOT NULL,
    kind                 text NOT NULL CHECK (kind IN ('hip', 'health_coach', 'support_worker')),
    status               text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed', 'entered_in_error')),
    restricted           boolean NOT NULL DEFAULT false,
    risk_flag            boolean NOT NULL DEFAULT false,
    -- Every field value and the free text, as JSON, sealed (keys.AAD notes/id/body).
    body                 bytea NOT NULL CHECK (length(body) BETWEEN 17 AND 1048576),
    -- Optimistic concurrency for autosave: each save moves it on by one.
    version              integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    signed_at            timestamptz,
    signed_by            uuid,
    cosign_required      boolean NOT NULL DEFAULT false,
    cosigned_at          timestamptz,
    cosigned_by          uuid,
    error_at             timestamptz,
    error_by             uuid,
    error_reason         text CHECK (char_length(error_reason) BETWEEN 1 AND 500),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id),
    FOREIGN KEY (tenant_id, referral_contact_id) REFERENCES referral_contacts (tenant_id, id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, signed_by) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, cosigned_by) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, error_by) REFERENCES memberships (tenant_id, user_id),
    CHECK ((appointment_id IS NULL) <> (referral_contact_id IS NULL)),
    CHECK (referral_contact_id IS NULL OR kind = 'support_worker'),
    CHECK (status = 'draft' OR (signed_at IS NOT NULL AND signed_by IS NOT NULL)),
    CHECK ((status = 'entered_in_error') = (error_at IS NOT NULL AND error_by IS NOT NULL AND error_reason IS NOT NULL)),
    CHECK ((cosigned_at IS NULL) = (cosigned_by IS NULL)),
    CHECK (cosigned_at IS NULL OR cosign_required)
);
-- One live note per appointment (or referral contact) per author kind; a
-- note entered in error leaves room for the corrected one.
CREATE UNIQUE INDEX notes_one_per_appointment ON notes (tenant_id, appointment_id, kind)
    WHERE appointment_id IS NOT NULL AND status <> 'entered_in_error';
CREATE UNIQUE INDEX notes_one_per_contact ON notes (tenant_id, referral_contact_id, kind)
    WHERE referral_contact_id IS NOT NULL AND status <> 'entered_in_error';
-- A person's timeline, newest first.
CREATE INDEX notes_patient ON notes (tenant_id, patient_id, created_at);
-- The co-sign queue.
CREATE INDEX notes_cosign ON notes (tenant_id, signed_at)
    WHERE cosign_required AND cosigned_at IS NULL AND status = 'signed';
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_tenant ON notes
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- No DELETE: a note is retracted (entered in error), never removed.
GRANT SELECT, INSERT, UPDATE ON notes TO tuhono_app;

-- A signed note never changes (DESIGN.md), whatever the application does:
-- after signing only the status may move signed → entered_in_error (with its
-- reason, who and when, set once) and the co-signature may be set once.
-- Nobody deletes a note, the owner included.
-- +goose StatementBegin
CREATE FUNCTION notes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'clinical notes are never deleted: mark the note entered in error instead'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status = 'draft' THEN
        RETURN NEW;
    END IF;
    IF (NEW.patient_id, NEW.appointment_id, NEW.referral_contact_id, NEW.author_id, NEW.kind,
        NEW.restricted, NEW.risk_flag, NEW.body, NEW.version, NEW.created_at,
        NEW.signed_at, NEW.signed_by, NEW.cosign_required)
       IS DISTINCT FROM
       (OLD.patient_id, OLD.appointment_id, OLD.referral_contact_id, OLD.author_id, OLD.kind,
        OLD.restricted, OLD.risk_flag, OLD.body, OLD.version, OLD.created_at,
        OLD.signed_at, OLD.signed_by, OLD.cosign_required) THEN
        RAISE EXCEPTION 'a signed note cannot be changed: add an addendum instead'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status NOT IN ('signed', 'entered_in_error')
       OR (OLD.status = 'entered_in_error' AND NEW.status <> 'entered_in_error') THEN
        RAISE EXCEPTION 'a signed note may only be marked entered in error'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.error_at IS NOT NULL AND (NEW.error_at, NEW.error_by, NEW.error_reason)
       IS DISTINCT FROM (OLD.error_at, OLD.error_by, OLD.error_reason) THEN
        RAISE EXCEPTION 'an entered-in-error mark is set once'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.cosigned_at IS NOT NULL AND (NEW.cosigned_at, NEW.cosigned_by)
       IS DISTINCT FROM (OLD.cosigned_at, OLD.cosigned_by) THEN
        RAISE EXCEPTION 'a co-signature is set once'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER notes_guard BEFORE UPDATE OR DELETE ON notes
    FOR EACH ROW EXECUTE FUNCTION notes_guard();

-- Changes after signing: added, never changed or removed.
CREATE TABLE note_addenda (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    note_id     uuid NOT NULL,
    author_id   uuid NOT NULL,
    reason      text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    -- Sealed text (keys.AAD note_addenda/id/body).
    body        bytea NOT NULL CHECK (length(body) BETWEEN 17 AND 1048576),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, note_id) REFERENCES notes (tenant_id, id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES memberships (tenant_id, user_id)
);
CREATE INDEX note_addenda_note ON note_addenda (tenant_id, note_id, created_at);
ALTER TABLE note_addenda ENABLE ROW LEVEL SECURITY;
ALTER TABLE note_addenda FORCE ROW LEVEL SECURITY;
CREATE POLICY note_addenda_tenant ON note_addenda
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON note_addenda TO tuhono_app;

-- An addendum is for a signed note (a draft is simply edited), and is never
-- changed or removed, by the owner either.
-- +goose StatementBegin
CREATE FUNCTION note_addenda_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'an addendum is never changed or removed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM notes WHERE tenant_id = NEW.tenant_id AND id = NEW.note_id AND status <> 'draft') THEN
        RAISE EXCEPTION 'an addendum is added to a signed note only' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER note_addenda_guard BEFORE INSERT OR UPDATE OR DELETE ON note_addenda
    FOR EACH ROW EXECUTE FUNCTION note_addenda_guard();

-- Break-glass: a clinician opening one restricted note they may not read,
-- for a short time, after giving a reason. Each grant waits in the privacy
-- officer's review queue until reviewed.
CREATE TABLE note_break_glass (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    note_id         uuid NOT NULL,
    user_id         uuid NOT NULL,
    reason          text NOT NULL CHECK (char_length(reason) BETWEEN 10 AND 500),
    granted_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    reviewed_at     timestamptz,
    reviewed_by     uuid,
    review_comment  text CHECK (char_length(review_comment) BETWEEN 1 AND 1000),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, note_id) REFERENCES notes (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, reviewed_by) REFERENCES memberships (tenant_id, user_id),
    CHECK (expires_at > granted_at),
    CHECK ((reviewed_at IS NULL) = (reviewed_by IS NULL) AND (reviewed_at IS NULL) = (review_comment IS NULL))
);
CREATE INDEX note_break_glass_live ON note_break_glass (tenant_id, note_id, user_id, expires_at);
CREATE INDEX note_break_glass_review ON note_break_glass (tenant_id, granted_at) WHERE reviewed_at IS NULL;
ALTER TABLE note_break_glass ENABLE ROW LEVEL SECURITY;
ALTER TABLE note_break_glass FORCE ROW LEVEL SECURITY;
CREATE POLICY note_break_glass_tenant ON note_break_glass
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- UPDATE for the review only; the grant itself is history.
GRANT SELECT, INSERT, UPDATE ON note_break_glass TO tuhono_app;

-- Outcome measures: item answers sealed (keys.AAD measure_results/id/items),
-- total, band and risk alert in clear for reports and trend charts.
CREATE TABLE measure_results (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    patient_id      uuid NOT NULL,
    appointment_id  uuid,
    kind            text NOT NULL CHECK (kind IN ('k10', 'phq9', 'gad7', 'usefulness')),
    items           bytea NOT NULL CHECK (length(items) BETWEEN 17 AND 4096),
    total           integer NOT NULL CHECK (total BETWEEN 0 AND 50),
    band            text NOT NULL DEFAULT '' CHECK (char_length(band) <= 40),
    risk_alert      boolean NOT NULL DEFAULT false,
    recorded_by     uuid NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id),
    FOREIGN KEY (tenant_id, recorded_by) REFERENCES memberships (tenant_id, user_id)
);
CREATE INDEX measure_results_patient ON measure_results (tenant_id, patient_id, kind, recorded_at);
ALTER TABLE measure_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE measure_results FORCE ROW LEVEL SECURITY;
CREATE POLICY measure_results_tenant ON measure_results
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- A result is history: recorded, never changed or removed.
GRANT SELECT, INSERT ON measure_results TO tuhono_app;

-- +goose Down
DROP TABLE measure_results;
DROP TABLE note_break_glass;
DROP TABLE note_addenda;
DROP FUNCTION note_addenda_guard();
DROP TABLE notes;
DROP FUNCTION notes_guard();
ALTER TABLE tenant_settings DROP COLUMN privacy_officer_email, DROP COLUMN coach_cosign_required;
