-- +goose Up
-- A tenant's own settings: the first tenant-owned table, and the pattern for
-- every later one (tenant_id first in every key, RLS enabled and forced, one
-- policy reading app.tenant_id).
CREATE TABLE tenant_settings (
    tenant_id                    uuid PRIMARY KEY REFERENCES tenants (id),
    -- No published rule: the 1–2 day contact target for Support Worker
    -- referrals is the tenant's to set (DOMAIN.md).
    support_contact_target_days  integer NOT NULL DEFAULT 2 CHECK (support_contact_target_days BETWEEN 1 AND 14),
    -- HIP sessions are brief: 15–30 minutes, typically 20–30.
    default_session_minutes      integer NOT NULL DEFAULT 30 CHECK (default_session_minutes BETWEEN 10 AND 90),
    -- Share of a HIP's day kept open for same-day warm handovers (about half).
    same_day_share_percent       integer NOT NULL DEFAULT 50 CHECK (same_day_share_percent BETWEEN 0 AND 100),
    updated_at                   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenant_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_settings_tenant ON tenant_settings
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_settings TO tuhono_app;

-- +goose Down
DROP TABLE tenant_settings;
