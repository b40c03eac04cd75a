-- +goose Up
-- The outbox: side effects (e-mail now; SMS and Stripe later) queued inside
-- the business transaction and delivered after it commits (DESIGN.md, STYLE.md
-- rule 6). A platform table: it holds messages, not health records, so it has
-- no tenant_id and message bodies must stay free of clinical content.
-- tenant_slug is only for the development mailbox's display.
CREATE TABLE outbox (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('email')),
    -- One message per key however often the business transaction is retried;
    -- the deliverer also puts it in the Message-ID so receivers can de-duplicate
    -- a re-send after a crash (delivery is at least once).
    idempotency_key  text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    recipient        text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 400),
    subject          text CHECK (length(subject) <= 250),
    body_text        text NOT NULL CHECK (length(body_text) BETWEEN 1 AND 100000),
    body_html        text CHECK (length(body_html) <= 300000),
    tenant_slug      text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- While a deliverer holds a message, next_attempt_at is the end of its
    -- lease: a deliverer that dies mid-send leaves the message to be claimed
    -- again when the lease runs out.
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    failed_at        timestamptz, -- gave up
    last_error       text CHECK (length(last_error) <= 1000), -- never a secret
    CHECK (delivered_at IS NULL OR failed_at IS NULL)
);
-- The deliverer's claim reads only pending rows, oldest due first.
CREATE INDEX outbox_pending ON outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
-- The development mailbox lists the newest messages.
CREATE INDEX outbox_created ON outbox (created_at DESC);

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
-- Any scope may enqueue (a tenant transaction queues its own e-mail), but only
-- the platform scope (the deliverer, the dev mailbox) reads or changes rows:
-- a tenant cannot read another tenant's mail, nor its own once queued.
CREATE POLICY outbox_enqueue ON outbox FOR INSERT WITH CHECK (true);
CREATE POLICY outbox_platform ON outbox
    USING (current_setting('app.scope', true) = 'platform')
    WITH CHECK (current_setting('app.scope', true) = 'platform');
GRANT SELECT, INSERT, UPDATE ON outbox TO tuhono_app;

-- Wake the deliverer at once. NOTIFY is delivered only when the inserting
-- transaction commits (and never if it rolls back): exactly "after commit".
-- +goose StatementBegin
CREATE FUNCTION outbox_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tuhono_outbox', '');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER outbox_announce AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_announce();

-- +goose Down
DROP TABLE outbox;
DROP FUNCTION outbox_announce();
