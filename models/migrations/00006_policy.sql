-- +goose Up
-- Casbin's links, read and written by policy/ through gorm-adapter v3.39.0:
--   ptype 'g':  v0 user id, v1 role, v2 domain (tenant:<id>, region:<id>, funder:<id>, platform)
--   ptype 'g2': v0 tenant domain, v1 its region or funder domain
-- The role permissions are not here: they are templates compiled into the
-- binary (policy/policy.csv), so no row can widen what a role may do; the
-- CHECK on ptype holds that. Columns, types and the unique index are exactly
-- what the adapter's AutoMigrate would make (AutoMigrate is off: the schema
-- is the migrations'); NOT NULL only makes explicit what the adapter always
-- writes ('' for an unused field), and keeps the unique index meaningful.
--
-- A platform table: no tenant_id, no personal information beyond user ids.
-- Reachable in two scopes: 'policy', which the dedicated pool of
-- policy.OpenDB sets for its whole session and which no other table admits,
-- and 'platform' (db.Platform), for tooling.
CREATE TABLE casbin_rule (
    id     bigserial PRIMARY KEY,
    ptype  varchar(100) NOT NULL DEFAULT '' CHECK (ptype IN ('g', 'g2')),
    v0     varchar(100) NOT NULL DEFAULT '',
    v1     varchar(100) NOT NULL DEFAULT '',
    v2     varchar(100) NOT NULL DEFAULT '',
    v3     varchar(100) NOT NULL DEFAULT '',
    v4     varchar(100) NOT NULL DEFAULT '',
    v5     varchar(100) NOT NULL DEFAULT ''
);
-- The adapter names it idx_<table> and writes with ON CONFLICT DO NOTHING.
CREATE UNIQUE INDEX idx_casbin_rule ON casbin_rule (ptype, v0, v1, v2, v3, v4, v5);
ALTER TABLE casbin_rule ENABLE ROW LEVEL SECURITY;
ALTER TABLE casbin_rule FORCE ROW LEVEL SECURITY;
CREATE POLICY casbin_rule_policy ON casbin_rule
    USING (current_setting('app.scope', true) IN ('policy', 'platform'))
    WITH CHECK (current_setting('app.scope', true) IN ('policy', 'platform'));
GRANT SELECT, INSERT, UPDATE, DELETE ON casbin_rule TO tuhono_app;
GRANT USAGE ON SEQUENCE casbin_rule_id_seq TO tuhono_app;

-- Every committed change is announced, whoever makes it (any instance's
-- Grant, or a hand-made DELETE during an incident), so each server reloads
-- its enforcer within a second (policy.Enforcer.Listen).
-- +goose StatementBegin
CREATE FUNCTION casbin_rule_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tuhono_policy', '');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER casbin_rule_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON casbin_rule
    FOR EACH STATEMENT EXECUTE FUNCTION casbin_rule_announce();

-- +goose Down
DROP TABLE casbin_rule;
DROP FUNCTION casbin_rule_announce();
