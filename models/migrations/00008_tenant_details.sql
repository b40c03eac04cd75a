-- +goose Up
-- Regional onboarding details. Forward-safe for a rolling deploy: every new
-- column is nullable or has a constant default (no table rewrite), so a
-- binary of the previous version keeps working against this schema.

-- A region's programme ("Tū Whakaruruhau", "Te Tumu Waiora") and the zone its
-- pages show times in.
ALTER TABLE regions
    ADD COLUMN programme_name text CHECK (length(programme_name) BETWEEN 1 AND 200),
    ADD COLUMN time_zone text NOT NULL DEFAULT 'Pacific/Auckland'
        CHECK (time_zone IN ('Pacific/Auckland', 'Pacific/Chatham'));

-- A tenant's address and contact, and when it was suspended, archived or went
-- live. Nothing is ever deleted: archiving stamps archived_at and leaves the
-- row (and everything under it) for the 10-year retention.
-- restore_status is where a suspended tenant returns to (onboarding or
-- active), so restoring does not skip or undo the go-live.
ALTER TABLE tenants
    ADD COLUMN address text CHECK (length(address) BETWEEN 1 AND 500),
    ADD COLUMN contact_email text CHECK (length(contact_email) BETWEEN 3 AND 254),
    ADD COLUMN contact_phone text CHECK (contact_phone ~ '^\+?[0-9 ]{7,24}$'),
    ADD COLUMN suspended_at timestamptz,
    ADD COLUMN archived_at timestamptz,
    ADD COLUMN go_live_at timestamptz,
    ADD COLUMN restore_status text CHECK (restore_status IN ('onboarding', 'active'));

-- +goose Down
ALTER TABLE tenants
    DROP COLUMN restore_status,
    DROP COLUMN go_live_at,
    DROP COLUMN archived_at,
    DROP COLUMN suspended_at,
    DROP COLUMN contact_phone,
    DROP COLUMN contact_email,
    DROP COLUMN address;
ALTER TABLE regions
    DROP COLUMN time_zone,
    DROP COLUMN programme_name;
