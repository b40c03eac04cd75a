-- +goose Up
-- Idempotency keys of the API (an Idempotency-Key header on a creating POST):
-- the first response to a key is kept for 24 hours and replayed to a retry of
-- the same request, so a client that lost the answer can safely send again.
-- A row with a NULL status is a request still in flight; its lease
-- (locked_until) lets a retry take over only once the first attempt must have
-- died. Rows are keyed per caller: one person's key never answers another's.
CREATE TABLE idempotency_keys (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    user_id        uuid NOT NULL,
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 200 AND key ~ '^[\x21-\x7e]+$'),
    operation_id   text NOT NULL CHECK (length(operation_id) BETWEEN 1 AND 200),
    -- sha256 of the method, path and body: the same key with another request
    -- is refused rather than answered with the first one's result.
    request_hash   bytea NOT NULL CHECK (length(request_hash) = 32),
    status         integer CHECK (status BETWEEN 200 AND 499),
    content_type   text,
    location       text,
    response_body  bytea,
    locked_until   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, key),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id),
    CHECK ((status IS NULL) = (locked_until IS NOT NULL))
);
-- The sweep of expired keys.
CREATE INDEX idempotency_keys_created ON idempotency_keys (tenant_id, created_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_tenant ON idempotency_keys
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- DELETE: these are a cache of answers, not history. A failed (5xx) first
-- attempt is deleted so a retry can succeed, and expired keys are swept.
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO tuhono_app;

-- +goose Down
DROP TABLE idempotency_keys;
