-- +goose Up
-- Every tenant table's wall lets a cross-tenant read (db.AcrossTenants)
-- through when the row's tenant is in app.tenant_ids. Written as
-- `tenant_id = ANY (nullif(current_setting(…), '')::uuid[])`, PostgreSQL
-- parses that list again for every row it checks: a region report over 200
-- practices spent 0.19 ms a row doing so (5.5 s for 28,800 enrolment rows).
-- As a sub-select with no reference to the row it becomes an InitPlan, run
-- once per statement. Same rows pass; only the cost changes. It stays an
-- index condition (a tenant's own queries still use a BitmapOr over the
-- tenant_id indexes), which `tenant_id IN (SELECT unnest(…))`, hashed but
-- not indexable, would lose: a tenant's query took 557 ms against 1.6 ms.
--
-- Every policy in the standard form is rewritten (the tenants table's own,
-- which also admits the platform scope, too), and report_facts, which
-- searched the list as text to dodge the same cost, takes the common form.
-- +goose StatementBegin
DO $$
DECLARE
    p record;
    slow constant text := '(tenant_id = ANY ((NULLIF(current_setting(''app.tenant_ids''::text, true), ''''::text))::uuid[]))';
BEGIN
    FOR p IN
        SELECT pol.polname, pol.polrelid::regclass AS tbl
        FROM pg_policy pol
        WHERE pg_get_expr(pol.polqual, pol.polrelid) =
              '((tenant_id = (NULLIF(current_setting(''app.tenant_id''::text, true), ''''::text))::uuid) OR ' || slow || ')'
           OR pg_get_expr(pol.polqual, pol.polrelid) =
              '((tenant_id = (NULLIF(current_setting(''app.tenant_id''::text, true), ''''::text))::uuid) OR (strpos(current_setting(''app.tenant_ids''::text, true), (tenant_id)::text) > 0))'
    LOOP
        EXECUTE format('ALTER POLICY %I ON %s USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid
            OR tenant_id = ANY ((SELECT nullif(current_setting(''app.tenant_ids'', true), '''')::uuid[])::uuid[]))', p.polname, p.tbl);
    END LOOP;
END $$;
-- +goose StatementEnd
ALTER POLICY tenants_wall ON tenants
    USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR id = ANY ((SELECT nullif(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[])
           OR current_setting('app.scope', true) = 'platform');

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    p record;
BEGIN
    FOR p IN
        SELECT pol.polname, pol.polrelid::regclass AS tbl
        FROM pg_policy pol
        WHERE pg_get_expr(pol.polqual, pol.polrelid) =
              '((tenant_id = (NULLIF(current_setting(''app.tenant_id''::text, true), ''''::text))::uuid) OR (tenant_id = ANY (( SELECT (NULLIF(current_setting(''app.tenant_ids''::text, true), ''''::text))::uuid[] AS "nullif")::uuid[])))'
          AND pol.polrelid::regclass::text NOT IN ('report_cells', 'report_days')
    LOOP
        IF p.tbl::text = 'report_facts' THEN
            EXECUTE format('ALTER POLICY %I ON %s USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid
                OR strpos(current_setting(''app.tenant_ids'', true), tenant_id::text) > 0)', p.polname, p.tbl);
        ELSE
            EXECUTE format('ALTER POLICY %I ON %s USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid
                OR tenant_id = ANY (nullif(current_setting(''app.tenant_ids'', true), '''')::uuid[]))', p.polname, p.tbl);
        END IF;
    END LOOP;
END $$;
-- +goose StatementEnd
ALTER POLICY tenants_wall ON tenants
    USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[])
           OR current_setting('app.scope', true) = 'platform');
