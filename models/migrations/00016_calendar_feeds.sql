-- +goose Up
-- Calendar feeds: a practitioner subscribes their phone or desktop calendar
-- to a secret URL (/ical/{tenant}/{secret}) that lists their appointments
-- without patient names. Only a SHA-256 hash of the secret is stored: a
-- database read does not yield a working URL. A feed is revoked, never
-- deleted (the record of who could read the calendar stays); one live feed
-- per practitioner per tenant, so rotating revokes the old one.
CREATE TABLE calendar_feeds (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    practitioner_id  uuid NOT NULL,
    secret_hash      bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
    created_by       uuid NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz,
    revoked_by       uuid REFERENCES users (id),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, practitioner_id) REFERENCES memberships (tenant_id, user_id),
    CHECK (revoked_by IS NULL OR revoked_at IS NOT NULL)
);
-- One live feed per practitioner; the secret finds its feed.
CREATE UNIQUE INDEX calendar_feeds_live ON calendar_feeds (tenant_id, practitioner_id) WHERE revoked_at IS NULL;
CREATE UNIQUE INDEX calendar_feeds_secret ON calendar_feeds (tenant_id, secret_hash);
ALTER TABLE calendar_feeds ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_feeds FORCE ROW LEVEL SECURITY;
CREATE POLICY calendar_feeds_tenant ON calendar_feeds
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- No DELETE: a feed is revoked (revoked_at), never removed.
GRANT SELECT, INSERT, UPDATE ON calendar_feeds TO tuhono_app;

-- +goose Down
DROP TABLE calendar_feeds;
