-- +goose Up
-- Per-tenant data keys for clinical content at rest (DESIGN.md: notes,
-- handover text and measure answers are never stored in clear). Each data
-- key is kept only wrapped by a master key that lives outside the database
-- (configuration, or a cloud KMS behind models/keys.Provider); master_key_id
-- says which master key wrapped it, so rotation (tuhono keys rotate) can
-- re-wrap row by row while readers keep working.
CREATE TABLE tenant_keys (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    version        integer NOT NULL CHECK (version >= 1),
    master_key_id  text NOT NULL CHECK (length(master_key_id) BETWEEN 1 AND 200),
    wrapped        bytea NOT NULL CHECK (length(wrapped) BETWEEN 16 AND 4096),
    created_at     timestamptz NOT NULL DEFAULT now(),
    rewrapped_at   timestamptz,
    PRIMARY KEY (tenant_id, version)
);
ALTER TABLE tenant_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_keys_tenant ON tenant_keys
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- No DELETE: a lost data key is lost data.
GRANT SELECT, INSERT, UPDATE ON tenant_keys TO tuhono_app;

-- +goose Down
DROP TABLE tenant_keys;
