-- +goose Up
-- The audit trail (models/audit): who did what, to whose account or record,
-- when, from where and why — append-only and hash-chained, one chain per
-- tenant and one for the platform.
--
--   audit_events            a tenant's events (tenant wall; insert and read only)
--   audit_seals             a tenant's chain: seal seq n covers one event with
--                           hash = SHA-256(prev_hash || canonical event bytes)
--   audit_backlog           the tenant's events not yet sealed, one row each,
--                           added by a trigger in the writer's transaction and
--                           removed by the sealer in the sealing transaction
--   platform_audit_*        the same three for events that belong to no tenant
--                           (sign-in failures for unknown e-mails, operators)
--
-- Writers never hash: Record is one INSERT. The sealer (audit.Sealer) chains
-- the backlog shortly after; audit.Verify recomputes the chains.
--
-- History is protected twice: the app role has no UPDATE, DELETE or TRUNCATE
-- grant, and triggers refuse those statements even from a role that has them
-- (a future grant mistake, the owner by accident). The owner and a superuser
-- can still disable the triggers: that is what the chain and Verify are for.
-- The triggers are per statement, so they refuse even a statement whose rows
-- row-level security hides.

-- +goose StatementBegin
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit history is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = '42501';
END $$;
-- +goose StatementEnd

CREATE TABLE audit_events (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,               -- UUIDv7, made by the writer
    at               timestamptz NOT NULL DEFAULT now(),
    action           text NOT NULL CHECK (length(action) <= 64 AND action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)*$'),
    actor_user_id    uuid,
    actor_roles      text[] NOT NULL DEFAULT '{}' CHECK (cardinality(actor_roles) <= 20),
    subject_user_id  uuid,                        -- whose account
    patient_id       uuid,                        -- whose health record
    object           text CHECK (length(object) <= 100),
    object_id        text CHECK (length(object_id) <= 200),
    outcome          text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'denied', 'failed')),
    reason           text CHECK (length(reason) <= 500),   -- why: the purpose of access
    ip               inet,
    request_id       text CHECK (length(request_id) <= 100),
    -- Small, flat, never patient details (names, notes, NHI): ids and labels.
    detail           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object' AND pg_column_size(detail) <= 8192),
    PRIMARY KEY (tenant_id, id)
);
-- The audit page lists newest first.
CREATE INDEX audit_events_at ON audit_events (tenant_id, at, id);
-- "Who has accessed my record?" (HIPC rule 6): a person's events only.
CREATE INDEX audit_events_patient ON audit_events (tenant_id, patient_id, at) WHERE patient_id IS NOT NULL;
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_events_tenant ON audit_events
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON audit_events TO tuhono_app;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE TABLE audit_seals (
    tenant_id  uuid NOT NULL,
    seq        bigint NOT NULL CHECK (seq > 0),
    event_id   uuid NOT NULL,
    prev_hash  bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash       bytea NOT NULL CHECK (length(hash) = 32),
    sealed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, seq),
    UNIQUE (tenant_id, event_id)
    -- No foreign key to audit_events, on purpose: checking it takes a KEY
    -- SHARE lock on every event as it is sealed, a WAL-logged write to the
    -- pages writers are filling, which cost about 30% of append throughput
    -- under load. It would guard nothing else: events cannot be deleted
    -- (trigger), and a seal whose event is gone is what Verify reports as
    -- "missing event" whoever removed it.
);
ALTER TABLE audit_seals ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_seals FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_seals_tenant ON audit_seals
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON audit_seals TO tuhono_app;
CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- One row per unsealed event, written in the same transaction as the event,
-- so it becomes visible exactly when the event does: the sealer can never
-- miss an event whose transaction commits late, and never scans history to
-- find what is unsealed. No unique key on tenant_id alone, so concurrent
-- writers never wait for each other here.
CREATE TABLE audit_backlog (
    tenant_id  uuid NOT NULL,
    event_id   uuid NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
ALTER TABLE audit_backlog ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_backlog FORCE ROW LEVEL SECURITY;
-- The writer's trigger runs as the writer, in its tenant scope: the standard
-- tenant policy lets it add its own tenant's rows and nothing else, so no
-- SECURITY DEFINER function is needed. The sealer removes rows in the same
-- tenant scope. The platform scope may only list which tenants have work.
CREATE POLICY audit_backlog_tenant ON audit_backlog
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY audit_backlog_platform ON audit_backlog FOR SELECT
    USING (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT, DELETE ON audit_backlog TO tuhono_app;

-- +goose StatementBegin
CREATE FUNCTION audit_events_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.audit_backlog (tenant_id, event_id) VALUES (NEW.tenant_id, NEW.id);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_enqueue AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_enqueue();

-- Events of no tenant: the same shape without tenant_id, one platform chain.
-- Any scope may append (a failed sign-in has no tenant yet); only the
-- platform scope reads them back or seals them.
CREATE TABLE platform_audit_events (
    id               uuid PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    action           text NOT NULL CHECK (length(action) <= 64 AND action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)*$'),
    actor_user_id    uuid,
    actor_roles      text[] NOT NULL DEFAULT '{}' CHECK (cardinality(actor_roles) <= 20),
    subject_user_id  uuid,
    patient_id       uuid,
    object           text CHECK (length(object) <= 100),
    object_id        text CHECK (length(object_id) <= 200),
    outcome          text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'denied', 'failed')),
    reason           text CHECK (length(reason) <= 500),
    ip               inet,
    request_id       text CHECK (length(request_id) <= 100),
    detail           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object' AND pg_column_size(detail) <= 8192)
);
CREATE INDEX platform_audit_events_at ON platform_audit_events (at, id);
ALTER TABLE platform_audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_audit_events_append ON platform_audit_events FOR INSERT WITH CHECK (true);
CREATE POLICY platform_audit_events_platform ON platform_audit_events FOR SELECT
    USING (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT ON platform_audit_events TO tuhono_app;
CREATE TRIGGER platform_audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON platform_audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE TABLE platform_audit_seals (
    seq        bigint PRIMARY KEY CHECK (seq > 0),
    event_id   uuid NOT NULL UNIQUE,  -- no foreign key: see audit_seals
    prev_hash  bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash       bytea NOT NULL CHECK (length(hash) = 32),
    sealed_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE platform_audit_seals ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_audit_seals FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_audit_seals_platform ON platform_audit_seals
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT ON platform_audit_seals TO tuhono_app;
CREATE TRIGGER platform_audit_seals_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON platform_audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE TABLE platform_audit_backlog (
    event_id  uuid PRIMARY KEY
);
ALTER TABLE platform_audit_backlog ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_audit_backlog FORCE ROW LEVEL SECURITY;
-- Added by the trigger in whatever scope appended the event; read and
-- removed by the sealer in the platform scope.
CREATE POLICY platform_audit_backlog_append ON platform_audit_backlog FOR INSERT WITH CHECK (true);
CREATE POLICY platform_audit_backlog_platform ON platform_audit_backlog
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT, DELETE ON platform_audit_backlog TO tuhono_app;

-- +goose StatementBegin
CREATE FUNCTION platform_audit_events_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.platform_audit_backlog (event_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER platform_audit_events_enqueue AFTER INSERT ON platform_audit_events
    FOR EACH ROW EXECUTE FUNCTION platform_audit_events_enqueue();

-- +goose Down
DROP TABLE platform_audit_backlog;
DROP TABLE platform_audit_seals;
DROP TABLE platform_audit_events;
DROP FUNCTION platform_audit_events_enqueue();
DROP TABLE audit_backlog;
DROP TABLE audit_seals;
DROP TABLE audit_events;
DROP FUNCTION audit_events_enqueue();
DROP FUNCTION audit_refuse_change();
