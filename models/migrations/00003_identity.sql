-- +goose Up
-- People and their access. A user is global (one e-mail, one password, one
-- MFA); a membership ties a user to a tenant with roles. Users, sessions,
-- region/funder grants, password resets and sign-in throttles are identity
-- tables of the platform (staff details, never health information): the
-- platform scope reaches them, and a person's own scope (app.user_id, set by
-- db.AsUser) reaches their own rows. Memberships, API tokens and invitations
-- belong to a tenant and follow the tenant wall.

CREATE TABLE users (
    id                 uuid PRIMARY KEY,
    email              text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(email)),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    password_hash      text,
    password_set_at    timestamptz,
    mfa_secret         text,          -- sealed (AES-GCM) TOTP secret
    mfa_enabled_at     timestamptz,
    mfa_last_step      bigint,        -- last TOTP step accepted: a code is good once
    platform_operator  boolean NOT NULL DEFAULT false,
    disabled_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (email);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_platform ON users
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
CREATE POLICY users_self ON users
    USING (id = nullif(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON users TO tuhono_app;

CREATE TABLE recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id),
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);
ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY recovery_codes_owner ON recovery_codes
    USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid
           OR current_setting('app.scope', true) = 'platform')
    WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid
           OR current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO tuhono_app;

CREATE TABLE memberships (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    user_id       uuid NOT NULL REFERENCES users (id),
    roles         text[] NOT NULL CHECK (cardinality(roles) BETWEEN 1 AND 7 AND roles <@ ARRAY[
                      'gp', 'nurse', 'hip', 'health_coach', 'support_worker', 'practice_admin', 'pho_admin']::text[]),
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'ended')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    ended_at      timestamptz,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY memberships_tenant ON memberships
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- A person may list their own memberships (the tenant picker), nothing more.
CREATE POLICY memberships_self ON memberships FOR SELECT
    USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON memberships TO tuhono_app;

-- Roles held above any one tenant: regional_admin in a region, funder in a
-- funder organisation, platform_operator on the platform.
CREATE TABLE org_grants (
    user_id     uuid NOT NULL REFERENCES users (id),
    domain      text NOT NULL CHECK (domain ~ '^(region|funder):[0-9a-f-]{36}$' OR domain = 'platform'),
    role        text NOT NULL CHECK (role IN ('regional_admin', 'funder', 'platform_operator')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, domain, role)
);
ALTER TABLE org_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY org_grants_platform ON org_grants
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
CREATE POLICY org_grants_self ON org_grants FOR SELECT
    USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON org_grants TO tuhono_app;

CREATE TABLE sessions (
    id             uuid PRIMARY KEY,
    token_hash     bytea NOT NULL UNIQUE,
    user_id        uuid NOT NULL REFERENCES users (id),
    mfa_verified   boolean NOT NULL DEFAULT false,
    current_tenant uuid REFERENCES tenants (id),  -- the tenant last chosen (not a tenant-owned row)
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,           -- absolute lifetime
    revoked_at     timestamptz,
    ip             inet,
    user_agent     text CHECK (length(user_agent) <= 300)
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_platform ON sessions
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
CREATE POLICY sessions_self ON sessions
    USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON sessions TO tuhono_app;

CREATE TABLE api_tokens (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    user_id       uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    roles         text[] NOT NULL CHECK (cardinality(roles) >= 1),
    token_hash    bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id)
);
ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY api_tokens_tenant ON api_tokens
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY api_tokens_self ON api_tokens FOR SELECT
    USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON api_tokens TO tuhono_app;

CREATE TABLE invitations (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    email         text NOT NULL CHECK (email = lower(email)),
    name          text NOT NULL DEFAULT '',
    roles         text[] NOT NULL CHECK (cardinality(roles) >= 1),
    token_hash    bytea NOT NULL,
    invited_by    uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    accepted_at   timestamptz,
    accepted_by   uuid,
    revoked_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash)
);
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY invitations_tenant ON invitations
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON invitations TO tuhono_app;

CREATE TABLE password_resets (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_resets FORCE ROW LEVEL SECURITY;
CREATE POLICY password_resets_platform ON password_resets
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT, UPDATE ON password_resets TO tuhono_app;

-- Sign-in throttling, shared by every app instance: one row per key
-- ('account:<email>' or 'ip:<address>'), a count of failures in the current
-- window and, once too many, a time before which attempts are refused.
CREATE TABLE signin_throttle (
    key            text PRIMARY KEY CHECK (length(key) <= 300),
    window_start   timestamptz NOT NULL,
    failures       integer NOT NULL,
    blocked_until  timestamptz
);
ALTER TABLE signin_throttle ENABLE ROW LEVEL SECURITY;
ALTER TABLE signin_throttle FORCE ROW LEVEL SECURITY;
CREATE POLICY signin_throttle_platform ON signin_throttle
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT, UPDATE, DELETE ON signin_throttle TO tuhono_app;

-- Tenant setting: MFA required (on by default: every clinical role).
ALTER TABLE tenant_settings ADD COLUMN mfa_required boolean NOT NULL DEFAULT true;

-- +goose Down
ALTER TABLE tenant_settings DROP COLUMN mfa_required;
DROP TABLE signin_throttle;
DROP TABLE password_resets;
DROP TABLE invitations;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE org_grants;
DROP TABLE memberships;
DROP TABLE recovery_codes;
DROP TABLE users;
