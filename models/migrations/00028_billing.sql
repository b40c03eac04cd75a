-- +goose Up
-- Billing with Stripe (issue 8).
--
-- A billing account is a payer: a PHO paying for all its practices, or a
-- practice paying for itself. A practice a regional admin marks as
-- programme-funded is exempt and paid for by nobody. Every table here is a
-- platform table (models/billing reaches it through db.Platform, with a
-- purpose): it holds Stripe ids, quantities and states, never a person's
-- health information.
CREATE TABLE billing_exemptions (
    practice_id uuid PRIMARY KEY REFERENCES tenants (id),
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    set_by      uuid NOT NULL REFERENCES users (id),
    set_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE billing_accounts (
    id                     uuid PRIMARY KEY,
    payer_id               uuid NOT NULL UNIQUE REFERENCES tenants (id),
    email                  text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(email)),
    stripe_customer_id     text UNIQUE CHECK (stripe_customer_id ~ '^cus_[A-Za-z0-9]+$'),
    stripe_subscription_id text UNIQUE CHECK (stripe_subscription_id ~ '^sub_[A-Za-z0-9]+$'),
    base_item_id           text CHECK (base_item_id ~ '^si_[A-Za-z0-9]+$'),
    seat_item_id           text CHECK (seat_item_id ~ '^si_[A-Za-z0-9]+$'),
    -- Ours: incomplete (no subscription yet), trialing, active, past_due
    -- (grace until grace_until), suspended, canceled.
    status                 text NOT NULL DEFAULT 'incomplete'
                           CHECK (status IN ('incomplete', 'trialing', 'active', 'past_due', 'suspended', 'canceled')),
    -- The subscription's own status as Stripe last told us, and when Stripe
    -- made that event: an older event never overwrites a newer state.
    stripe_status          text,
    state_at               timestamptz,
    past_due_since         timestamptz,
    grace_until            timestamptz,
    trial_end              timestamptz,
    current_period_end     timestamptz,
    -- The quantities Stripe last accepted: practices at the base price and
    -- clinical seats at the seat price.
    practices              integer NOT NULL DEFAULT 0 CHECK (practices >= 0),
    seats                  integer NOT NULL DEFAULT 0 CHECK (seats >= 0),
    synced_at              timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'past_due' OR grace_until IS NOT NULL)
);

-- Every Stripe event we accepted, by its id: the unique key makes a second
-- delivery (however concurrent) a no-op, inside the same transaction as
-- the first one's effect.
CREATE TABLE stripe_events (
    id          text PRIMARY KEY CHECK (id ~ '^evt_[A-Za-z0-9_]+$'),
    type        text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    created     timestamptz NOT NULL,
    account_id  uuid REFERENCES billing_accounts (id),
    -- What it did: applied, or why not (older than the state we hold...).
    outcome     text NOT NULL CHECK (length(outcome) BETWEEN 1 AND 200),
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stripe_events_account ON stripe_events (account_id, created);

CREATE TABLE billing_invoices (
    id                 text PRIMARY KEY CHECK (id ~ '^in_[A-Za-z0-9]+$'),
    account_id         uuid NOT NULL REFERENCES billing_accounts (id),
    number             text CHECK (length(number) <= 100),
    status             text NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'uncollectible', 'void')),
    currency           text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    amount_due         bigint NOT NULL,
    amount_paid        bigint NOT NULL,
    hosted_invoice_url text CHECK (hosted_invoice_url ~ '^https://'),
    period_start       timestamptz,
    period_end         timestamptz,
    created            timestamptz NOT NULL,
    -- When Stripe made the event this row reflects (newer wins).
    state_at           timestamptz NOT NULL
);
CREATE INDEX billing_invoices_account ON billing_invoices (account_id, created DESC);

-- Outbox of quantity syncs, one pending per account however many changes
-- asked for it; requested_at moves with each request so a sync that read
-- the counts before the latest change runs again.
CREATE TABLE billing_jobs (
    account_id      uuid PRIMARY KEY REFERENCES billing_accounts (id),
    requested_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text CHECK (length(last_error) <= 1000)
);

-- Practices whose clinical seats changed, marked by the memberships
-- trigger in the changing transaction (any scope may mark; only the
-- platform reads): the billing worker turns them into jobs. A mark already
-- there stays (ON CONFLICT DO NOTHING), so a burst of 50 acceptances is
-- one mark, and the worker counts seats after taking it.
CREATE TABLE billing_seat_changes (
    practice_id uuid PRIMARY KEY REFERENCES tenants (id),
    marked_at   timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['billing_exemptions', 'billing_accounts', 'stripe_events', 'billing_invoices',
                             'billing_jobs', 'billing_seat_changes'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (current_setting(''app.scope'', true) = ''platform'')
            WITH CHECK (current_setting(''app.scope'', true) = ''platform'')', t || '_platform', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO tuhono_app', t);
    END LOOP;
END $$;
-- +goose StatementEnd
CREATE POLICY billing_seat_changes_mark ON billing_seat_changes FOR INSERT WITH CHECK (true);

-- +goose StatementBegin
CREATE FUNCTION billing_seats_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO billing_seat_changes (practice_id)
    SELECT DISTINCT tenant_id FROM (SELECT tenant_id FROM changed_new UNION ALL SELECT tenant_id FROM changed_old) c
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION billing_seats_mark_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO billing_seat_changes (practice_id) SELECT DISTINCT tenant_id FROM changed_new
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER memberships_seats_insert AFTER INSERT ON memberships
    REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION billing_seats_mark_new();
CREATE TRIGGER memberships_seats_update AFTER UPDATE ON memberships
    REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION billing_seats_mark();

-- A practice joining a PHO, leaving it, or being archived changes what
-- its payer pays for.
-- +goose StatementBegin
CREATE FUNCTION billing_practice_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'practice' AND (TG_OP = 'INSERT' OR NEW.parent_id IS DISTINCT FROM OLD.parent_id
                                  OR NEW.status IS DISTINCT FROM OLD.status) THEN
        INSERT INTO billing_seat_changes (practice_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    -- The PHO it left pays for one fewer.
    IF TG_OP = 'UPDATE' AND OLD.parent_id IS NOT NULL AND OLD.parent_id IS DISTINCT FROM NEW.parent_id THEN
        INSERT INTO billing_seat_changes (practice_id) VALUES (OLD.parent_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER tenants_billing_mark AFTER INSERT OR UPDATE OF parent_id, status ON tenants
    FOR EACH ROW EXECUTE FUNCTION billing_practice_mark();

-- Each tenant's billing standing, kept by models/billing (platform scope)
-- where the tenant's own transactions can read it: booking stops while it
-- is suspended, or past_due beyond billing_grace_until.
ALTER TABLE tenants
    ADD COLUMN billing_status text NOT NULL DEFAULT 'none'
        CHECK (billing_status IN ('none', 'exempt', 'incomplete', 'trialing', 'active', 'past_due', 'suspended', 'canceled')),
    ADD COLUMN billing_grace_until timestamptz;

-- +goose Down
ALTER TABLE tenants DROP COLUMN billing_grace_until, DROP COLUMN billing_status;
DROP TRIGGER tenants_billing_mark ON tenants;
DROP FUNCTION billing_practice_mark();
DROP TRIGGER memberships_seats_update ON memberships;
DROP TRIGGER memberships_seats_insert ON memberships;
DROP FUNCTION billing_seats_mark_new();
DROP FUNCTION billing_seats_mark();
DROP TABLE billing_seat_changes;
DROP TABLE billing_jobs;
DROP TABLE billing_invoices;
DROP TABLE stripe_events;
DROP TABLE billing_accounts;
DROP TABLE billing_exemptions;
