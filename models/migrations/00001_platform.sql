-- +goose Up
-- The platform tables: regions and the tenant directory, plus the record of
-- cross-tenant reads. The row-level security convention every later tenant
-- table follows is:
--
--   tenant_id uuid NOT NULL, keys that lead with tenant_id, composite foreign
--   keys (tenant_id, x_id), and
--   ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;
--   CREATE POLICY t_tenant ON t
--     USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
--            OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
--     WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--
-- app.tenant_id is set by db.InTenant, app.tenant_ids by db.AcrossTenants
-- (whose transactions are READ ONLY), app.scope = 'platform' by db.Platform.
-- nullif: once a session has seen a placeholder setting it reads '' after the
-- transaction ends, and ''::uuid would raise instead of matching nothing.

CREATE TABLE regions (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE regions ENABLE ROW LEVEL SECURITY;
ALTER TABLE regions FORCE ROW LEVEL SECURITY;
-- Regions are reference data every tenant may read; only the platform writes.
CREATE POLICY regions_read ON regions FOR SELECT USING (true);
CREATE POLICY regions_platform ON regions
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT, UPDATE ON regions TO tuhono_app;

CREATE TABLE tenants (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('pho', 'practice')),
    parent_id    uuid REFERENCES tenants (id),
    region_id    uuid NOT NULL REFERENCES regions (id),
    slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- HPI identifiers (HISO 10005): organisation GXXNNN-C, facility FXXNNN-C.
    hpi_org_id   text CHECK (hpi_org_id ~ '^G[A-Z0-9]{2}[0-9]{3}-[A-Z]$'),
    hpi_fac_id   text CHECK (hpi_fac_id ~ '^F[A-Z0-9]{2}[0-9]{3}-[A-Z]$'),
    time_zone    text NOT NULL DEFAULT 'Pacific/Auckland'
                 CHECK (time_zone IN ('Pacific/Auckland', 'Pacific/Chatham')),
    status       text NOT NULL DEFAULT 'onboarding'
                 CHECK (status IN ('onboarding', 'active', 'suspended', 'archived')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    -- A practice may sit under a PHO; a PHO sits under nothing.
    CHECK (kind = 'practice' OR parent_id IS NULL),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX tenants_parent ON tenants (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX tenants_region ON tenants (region_id);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
-- A tenant sees its own row; AcrossTenants sees its list; the platform sees
-- and writes all. The row's id is its tenant id.
CREATE POLICY tenants_wall ON tenants
    USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[])
           OR current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT, UPDATE ON tenants TO tuhono_app;

-- A practice's parent must be a PHO: a rule across rows, so a trigger.
-- +goose StatementBegin
CREATE FUNCTION tenants_check_parent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM tenants WHERE id = NEW.parent_id AND kind = 'pho') THEN
        RAISE EXCEPTION 'the parent of a practice must be a PHO' USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER tenants_check_parent BEFORE INSERT OR UPDATE OF parent_id ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_check_parent();

-- Every change to a tenant row is announced so each server's directory cache
-- drops the slug at once (see models/onboarding.Listen).
-- +goose StatementBegin
CREATE FUNCTION tenants_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.slug <> NEW.slug THEN
        PERFORM pg_notify('tuhono_tenants', OLD.slug);
    END IF;
    PERFORM pg_notify('tuhono_tenants', NEW.slug);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER tenants_announce AFTER INSERT OR UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_announce();

-- Who read across tenants, and why. Append-only for the app: no UPDATE or
-- DELETE grant, and only the platform scope may read it back.
CREATE TABLE cross_tenant_access (
    id             uuid PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    purpose        text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 200),
    tenant_ids     uuid[] NOT NULL,
    actor_user_id  uuid,
    actor_system   boolean NOT NULL DEFAULT false
);
CREATE INDEX cross_tenant_access_at ON cross_tenant_access (at);
ALTER TABLE cross_tenant_access ENABLE ROW LEVEL SECURITY;
ALTER TABLE cross_tenant_access FORCE ROW LEVEL SECURITY;
CREATE POLICY cross_tenant_access_append ON cross_tenant_access FOR INSERT WITH CHECK (true);
CREATE POLICY cross_tenant_access_platform ON cross_tenant_access FOR SELECT
    USING (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT ON cross_tenant_access TO tuhono_app;

-- /readyz compares the applied version with the binary's.
GRANT SELECT ON goose_db_version TO tuhono_app;

-- +goose Down
REVOKE SELECT ON goose_db_version FROM tuhono_app;
DROP TABLE cross_tenant_access;
DROP TABLE tenants;
DROP FUNCTION tenants_announce();
DROP FUNCTION tenants_check_parent();
DROP TABLE regions;
