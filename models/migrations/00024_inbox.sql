-- +goose Up
-- Handovers to the GP and corrections of a person's record (issue 6).
-- A handover is the short note a HIP, Health Coach or Support Worker writes
-- with the session note, addressed to a GP or practice nurse; its text is
-- stored only as ciphertext sealed with the tenant's data key (models/keys,
-- AAD gp_handovers/<id>/body). Who, whom, when and the read receipt stay in
-- clear for the inbox.
CREATE TABLE gp_handovers (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    patient_id      uuid NOT NULL,
    appointment_id  uuid NOT NULL,
    note_id         uuid,
    author_id       uuid NOT NULL,
    to_gp           uuid NOT NULL,
    body            bytea NOT NULL CHECK (length(body) BETWEEN 17 AND 65536),
    sent_at         timestamptz NOT NULL DEFAULT now(),
    -- The read receipt: set once, when the addressed GP first opens it.
    read_at         timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id),
    FOREIGN KEY (tenant_id, note_id) REFERENCES notes (tenant_id, id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, to_gp) REFERENCES memberships (tenant_id, user_id)
);
-- The GP's inbox, unread first; the author's sent list; a person's record.
CREATE INDEX gp_handovers_inbox ON gp_handovers (tenant_id, to_gp, sent_at);
CREATE INDEX gp_handovers_author ON gp_handovers (tenant_id, author_id, sent_at);
CREATE INDEX gp_handovers_patient ON gp_handovers (tenant_id, patient_id, sent_at);
ALTER TABLE gp_handovers ENABLE ROW LEVEL SECURITY;
ALTER TABLE gp_handovers FORCE ROW LEVEL SECURITY;
CREATE POLICY gp_handovers_tenant ON gp_handovers
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- A handover is history: only its read receipt is ever written after sending.
GRANT SELECT, INSERT ON gp_handovers TO tuhono_app;
GRANT UPDATE (read_at) ON gp_handovers TO tuhono_app;

-- A person's request to correct their record (HIPC rule 7). If the practice
-- does not correct it, the person's statement is attached to the record and
-- travels with every export. The statement is sealed like a note
-- (AAD record_corrections/<id>/statement).
CREATE TABLE record_corrections (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    patient_id    uuid NOT NULL,
    statement     bytea NOT NULL CHECK (length(statement) BETWEEN 17 AND 65536),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    recorded_by   uuid NOT NULL,
    decision      text CHECK (decision IN ('corrected', 'statement_attached')),
    decided_by    uuid,
    decided_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, recorded_by) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, decided_by) REFERENCES memberships (tenant_id, user_id),
    CHECK ((decision IS NULL) = (decided_by IS NULL) AND (decision IS NULL) = (decided_at IS NULL))
);
CREATE INDEX record_corrections_patient ON record_corrections (tenant_id, patient_id, requested_at);
ALTER TABLE record_corrections ENABLE ROW LEVEL SECURITY;
ALTER TABLE record_corrections FORCE ROW LEVEL SECURITY;
CREATE POLICY record_corrections_tenant ON record_corrections
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- The request is history; only the decision is written later (once: the
-- update names decision IS NULL).
GRANT SELECT, INSERT ON record_corrections TO tuhono_app;
GRANT UPDATE (decision, decided_by, decided_at) ON record_corrections TO tuhono_app;

-- +goose Down
DROP TABLE record_corrections;
DROP TABLE gp_handovers;
