-- +goose Up
-- Organisation-level API tokens: like api_tokens, but bound to one of the
-- person's organisation grants (org_grants) rather than a tenant membership,
-- so a regional admin or platform operator can call the region API. A
-- platform identity table: no tenant_id, no personal health information.
CREATE TABLE org_tokens (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id),
    domain        text NOT NULL CHECK (domain ~ '^region:[0-9a-f-]{36}$' OR domain = 'platform'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    roles         text[] NOT NULL CHECK (cardinality(roles) >= 1
                      AND roles <@ ARRAY['regional_admin', 'platform_operator']::text[]),
    token_hash    bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX org_tokens_user ON org_tokens (user_id);
ALTER TABLE org_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY org_tokens_platform ON org_tokens
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
-- A person lists and revokes their own tokens.
CREATE POLICY org_tokens_self_read ON org_tokens FOR SELECT
    USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
CREATE POLICY org_tokens_self_revoke ON org_tokens FOR UPDATE
    USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON org_tokens TO tuhono_app;

-- +goose Down
DROP TABLE org_tokens;
