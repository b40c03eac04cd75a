-- Tūhono on Citus: shard every tenant table by tenant_id.
--
-- Run it on the coordinator as tuhono_owner (Citus requires the table owner),
-- after `tuhono migrate up`:
--
--   psql "$MIGRATE_DATABASE_URL" -v ON_ERROR_STOP=1 -f deploy/citus/distribute.sql
--
-- Re-run it after every later `migrate up`. It is idempotent: it converts only
-- the tables that are not yet what they should be, and says "nothing to do"
-- otherwise. The whole run is one transaction, so on an error nothing changes.
-- deploy/citus/README.md covers when and how to switch.
--
-- Where each table goes
--   reference tables   regions, tenants, and code sets as they arrive (the
--                      reference_tables list below). Citus keeps a full copy
--                      on every node.
--   distributed        every other table in schema public that has a tenant_id
--                      column, hash-distributed on tenant_id. All of them share
--                      one co-location group.
--   coordinator only   cross_tenant_access and goose_db_version, as plain
--                      tables.
--   anything else      left as it is. A NOTICE names it, so someone decides.
--
-- Why tenants is a reference table, not distributed by id
--   tenants.id is the tenant id, and every tenant_id is a uuid, so distributing
--   tenants by id would place each tenant's row beside its data. Citus cannot
--   do that for this table. A distributed table's unique keys must contain
--   the distribution column, and tenants.slug is unique across all tenants
--   (tenant resolution, wall 1, looks it up). A practice's parent_id also points
--   at a PHO row that lives on another shard. The directory is small (one row
--   per PHO or practice, a few thousand nationally), read on every request and
--   rarely written: a reference table. Every node holds it, so the slug lookup
--   stays local, and the foreign keys tenant_id -> tenants(id) are
--   distributed -> reference, which Citus supports. regions is the same case.
--
-- Why co-location
--   All tenant tables are distributed on a uuid tenant_id with one shard
--   count, each created with colocate_with => <the first one>. So for any one
--   tenant the rows of every table sit in the same shard group on the same
--   node. An InTenant transaction, its joins and the composite foreign keys
--   (tenant_id, x_id) -> (tenant_id, id) then run on one node as single-shard
--   "router" queries. Citus checks those foreign keys on the shard itself.
--
-- Why the foreign keys are dropped and re-added, instead of converting tables
-- one at a time "referenced tables first"
--   Once a table becomes a reference table, Citus turns every plain table with
--   a foreign key to it into a "Citus local" table, and with it every table
--   joined to that one by foreign keys
--   (citus.enable_local_reference_table_foreign_keys, on by default). A Citus
--   local table can hold no foreign key to or from a distributed table. So on
--   the first run, converting tables one by one in dependency order stalls
--   after the reference tables, in any order. This script instead:
--   (1) checks everything it can before changing anything, and reports every
--   problem at once; (2) records and drops each foreign key that touches a
--   table it is about to convert; (3) converts; (4) re-adds those foreign
--   keys. Citus then validates them against its rules and creates them on
--   every shard. During (2)-(4) FORCE ROW LEVEL SECURITY is lifted from the
--   tables involved and restored before COMMIT. Otherwise the owner's
--   foreign-key validation would run under the tenant policy with no tenant
--   set: it errors, or it checks no rows at all.
--
-- Why cross_tenant_access and goose_db_version stay on the coordinator
--   cross_tenant_access is the platform's audit log of cross-tenant reads. Its
--   rows name many tenants (tenant_ids uuid[]), so there is no single shard
--   for a row. As a reference table, every append would be a two-phase commit
--   to every node. It is written by the coordinator, in the same transaction
--   as the AcrossTenants read it records, and read rarely by platform
--   operators. goose_db_version is goose's own bookkeeping, touched only by
--   `tuhono migrate` on the coordinator.
--
-- What the application relies on at run time (set at the end of this script)
--   citus.propagate_set_commands = 'local' for the database. The tenant
--   setting reaches the shards only this way. The app writes
--   SET LOCAL app.tenant_id = '<validated uuid>' as a literal statement, and
--   Citus forwards literal SET LOCAL commands to the nodes the transaction
--   touches. It does not forward a set_config() call or a bind parameter.
--   The RLS policies then read current_setting('app.tenant_id') on each
--   shard. New sessions pick the setting up: restart the app pods after the
--   first run.
--   Citus routes a query to one shard from the query text, not from the RLS
--   policy. A query without an explicit tenant_id = <value> filter fans out to
--   every shard, where RLS filters it: still correct, but costly.

\set ON_ERROR_STOP on

BEGIN;

-- A distributed table can gain a foreign key to a reference table only if the
-- transaction has not yet opened several connections to a node. Sequential
-- mode (one connection per node) for the whole run keeps that true.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
-- Only the first distributed table's shard count matters: every later one
-- joins its co-location group. Citus's guidance for multi-tenant apps is 32
-- shards up to about 100 GB, 64-128 beyond. alter_distributed_table can change
-- it later, with cascade_to_colocated.
SET LOCAL citus.shard_count TO 32;
-- Tenant tables carry row triggers (a signed note is immutable; audit events
-- are hash-chained). Under Citus they run on the shard, which is safe while
-- a trigger touches only its own row, or rows of the same tenant. Those are
-- co-located, so the work stays on one node.
SET LOCAL citus.enable_unsafe_triggers TO on;

DO $distribute$
DECLARE
    -- Replicated whole to every node: small, read everywhere, rarely written,
    -- referenced by tenant tables. Listed in creation order. A listed table
    -- that doesn't exist yet is skipped. Hot, frequently written global
    -- tables (sessions, login counters) do not belong here: every write to a
    -- reference table is a two-phase commit across all nodes.
    reference_tables   constant text[] := ARRAY['regions', 'tenants'];
    -- Plain PostgreSQL tables on the coordinator (see the header for why).
    coordinator_tables constant text[] := ARRAY['cross_tenant_access', 'goose_db_version'];

    problems       text[]     := '{}';
    left_alone     text[]     := '{}';
    to_reference   regclass[] := '{}';
    to_distribute  regclass[] := '{}';
    reference_all  regclass[] := '{}';  -- reference now or after this run
    distributed_all regclass[] := '{}'; -- distributed on tenant_id now or after this run
    converting     regclass[];
    truncate_after regclass[] := '{}';
    fk_drop        text[]     := '{}';
    fk_add         text[]     := '{}';
    involved       regclass[];
    unforced       regclass[] := '{}';
    anchor         regclass;
    tbl            regclass;
    stmt           text;
    r              record;
BEGIN
    IF to_regclass('pg_dist_partition') IS NULL THEN
        RAISE EXCEPTION 'Citus is not installed in database %', current_database()
            USING HINT = 'As a superuser on every node: CREATE EXTENSION citus; then add the workers (deploy/citus/README.md).';
    END IF;

    -- 1. Classify every table of schema public (partitions follow their parent).
    FOR r IN
        SELECT c.oid::regclass AS rel,
               c.relname::text AS name,
               EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
                          AND a.attnum > 0 AND NOT a.attisdropped) AS has_tenant,
               p.logicalrelid IS NOT NULL AS in_citus,
               p.partkey IS NOT NULL AS is_hash,
               CASE WHEN p.partkey IS NOT NULL
                    THEN column_to_column_name(p.logicalrelid, p.partkey) END AS dist_column,
               (p.logicalrelid IS NOT NULL AND p.partkey IS NULL AND p.repmodel = 't') AS is_reference,
               -- a "Citus local" table: in the metadata, no shard key, no co-location group
               (p.logicalrelid IS NOT NULL AND p.partkey IS NULL AND p.repmodel <> 't'
                    AND p.colocationid = 0) AS is_citus_local
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
         WHERE n.nspname = 'public'
           AND c.relkind IN ('r', 'p')
           AND NOT c.relispartition
         ORDER BY c.relname
    LOOP
        IF r.name = ANY (coordinator_tables) THEN
            IF r.in_citus AND NOT r.is_citus_local THEN
                problems := problems || format('%s must stay on the coordinator, but it is already a Citus table', r.rel);
            END IF;
        ELSIF r.name = ANY (reference_tables) THEN
            IF r.is_reference THEN
                reference_all := reference_all || r.rel;
            ELSIF r.in_citus AND NOT r.is_citus_local THEN
                problems := problems || format('%s should be a reference table, but it is already distributed', r.rel);
            ELSE
                to_reference  := to_reference || r.rel;
                reference_all := reference_all || r.rel;
            END IF;
        ELSIF r.has_tenant THEN
            IF r.is_hash AND r.dist_column = 'tenant_id' THEN
                distributed_all := distributed_all || r.rel;
                anchor := coalesce(anchor, r.rel);
            ELSIF r.in_citus AND NOT r.is_citus_local THEN
                problems := problems || format('%s is already a Citus table, but not distributed on tenant_id', r.rel);
            ELSE
                to_distribute   := to_distribute || r.rel;
                distributed_all := distributed_all || r.rel;
            END IF;
        ELSE
            left_alone := left_alone || r.name;
        END IF;
    END LOOP;

    -- Keep reference tables in the order listed.
    SELECT coalesce(array_agg(x.rel ORDER BY array_position(reference_tables, c.relname::text)), '{}')
      INTO to_reference
      FROM unnest(to_reference) AS x(rel)
      JOIN pg_class c ON c.oid = x.rel;
    converting := to_reference || to_distribute;

    -- 2. Check everything Citus would refuse, before changing anything.

    -- The shard key column: one type (uuid, as tenants.id) for one co-location group; never NULL.
    FOR r IN
        SELECT a.attrelid::regclass AS rel, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
          FROM pg_attribute a
         WHERE a.attrelid = ANY (to_distribute) AND a.attname = 'tenant_id'
           AND (a.atttypid <> 'uuid'::regtype OR NOT a.attnotnull)
    LOOP
        problems := problems || format('%s.tenant_id is %s%s; it must be uuid NOT NULL',
                                       r.rel, r.type, CASE WHEN r.attnotnull THEN '' ELSE ' NULL' END);
    END LOOP;

    -- Primary keys and unique indexes (partial ones too) must contain tenant_id,
    -- so each shard can enforce them alone.
    FOR r IN
        SELECT i.indrelid::regclass AS rel, i.indexrelid::regclass AS idx
          FROM pg_index i
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = 'tenant_id'
         WHERE i.indrelid = ANY (to_distribute) AND i.indisunique
           AND NOT (a.attnum = ANY (i.indkey::int2[]))
    LOOP
        problems := problems || format('%s: unique index %s does not contain tenant_id', r.rel, r.idx);
    END LOOP;

    -- Exclusion constraints must compare tenant_id with = (the booking
    -- constraint does: tenant_id WITH =, practitioner_id WITH =, range WITH &&).
    FOR r IN
        SELECT con.conrelid::regclass AS rel, con.conname,
               (SELECT o.oprname
                  FROM unnest(con.conkey, con.conexclop) AS k(attnum, opr)
                  JOIN pg_operator o ON o.oid = k.opr
                 WHERE k.attnum = a.attnum) AS tenant_op
          FROM pg_constraint con
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attname = 'tenant_id'
         WHERE con.contype = 'x' AND con.conrelid = ANY (to_distribute) AND con.conparentid = 0
    LOOP
        IF r.tenant_op IS DISTINCT FROM '=' THEN
            problems := problems || format('%s: exclusion constraint %s must include tenant_id WITH =',
                                           r.rel, r.conname);
        END IF;
    END LOOP;

    -- Citus cannot push a policy with a subquery down to the shards.
    FOR r IN
        SELECT pol.polrelid::regclass AS rel, pol.polname
          FROM pg_policy pol
         WHERE pol.polrelid = ANY (converting)
           AND (coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') ~* '\mselect\M'
                OR coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '') ~* '\mselect\M')
    LOOP
        problems := problems || format('%s: policy %s contains a subquery', r.rel, r.polname);
    END LOOP;

    -- Foreign keys that touch a table being converted, checked against what
    -- each side will be after this run.
    FOR r IN
        SELECT con.conname, con.conrelid::regclass AS src, con.confrelid::regclass AS dst,
               con.conkey, con.confkey, con.confdeltype, con.confupdtype,
               CASE WHEN con.conrelid::regclass = ANY (reference_all) THEN 'reference'
                    WHEN con.conrelid::regclass = ANY (distributed_all) THEN 'distributed'
                    ELSE 'local' END AS src_kind,
               CASE WHEN con.confrelid::regclass = ANY (reference_all) THEN 'reference'
                    WHEN con.confrelid::regclass = ANY (distributed_all) THEN 'distributed'
                    ELSE 'local' END AS dst_kind,
               (SELECT attnum FROM pg_attribute WHERE attrelid = con.conrelid AND attname = 'tenant_id') AS src_tenant,
               (SELECT attnum FROM pg_attribute WHERE attrelid = con.confrelid AND attname = 'tenant_id') AS dst_tenant
          FROM pg_constraint con
         WHERE con.contype = 'f' AND con.conparentid = 0
           AND (con.conrelid::regclass = ANY (converting) OR con.confrelid::regclass = ANY (converting))
    LOOP
        IF r.src_kind = 'local' AND r.dst_kind = 'distributed' THEN
            problems := problems || format('%s (stays on the coordinator) has foreign key %s to distributed %s: Citus has no foreign key from a local table to a distributed one',
                                           r.src, r.conname, r.dst);
        ELSIF r.src_kind = 'reference' AND r.dst_kind <> 'reference' THEN
            problems := problems || format('reference table %s has foreign key %s to %s %s: a reference table may reference only reference tables',
                                           r.src, r.conname, r.dst_kind, r.dst);
        ELSIF r.src_kind = 'distributed' THEN
            IF r.dst_kind = 'local' THEN
                problems := problems || format('%s has foreign key %s to %s, which stays on the coordinator: add %s to reference_tables, or give it tenant_id',
                                               r.src, r.conname, r.dst, r.dst);
            ELSIF r.dst_kind = 'distributed' AND NOT EXISTS (
                      SELECT 1 FROM generate_subscripts(r.conkey, 1) AS s(i)
                       WHERE r.conkey[s.i] = r.src_tenant AND r.confkey[s.i] = r.dst_tenant) THEN
                problems := problems || format('%s: foreign key %s to %s must pair tenant_id with tenant_id, e.g. (tenant_id, x_id) REFERENCES %s (tenant_id, id)',
                                               r.src, r.conname, r.dst, r.dst);
            END IF;
            -- The shard key never changes and is never NULL, so no action may write to it.
            IF r.src_tenant = ANY (r.conkey) AND (r.confdeltype IN ('n', 'd') OR r.confupdtype IN ('c', 'n', 'd')) THEN
                problems := problems || format('%s: foreign key %s includes tenant_id, so it may not use ON DELETE SET NULL/SET DEFAULT or ON UPDATE CASCADE/SET NULL/SET DEFAULT',
                                               r.src, r.conname);
            END IF;
        END IF;
    END LOOP;

    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'distribute.sql: % problem(s) found; nothing was changed', cardinality(problems)
            USING DETAIL = array_to_string(problems, E'\n'),
                  HINT = 'Fix the schema in a new migration (every key leads with tenant_id; composite foreign keys), or adjust reference_tables in this file.';
    END IF;

    IF cardinality(left_alone) > 0 THEN
        RAISE NOTICE 'left as plain tables on the coordinator (no tenant_id, not listed): %', array_to_string(left_alone, ', ');
    END IF;

    -- 3. Convert.
    IF cardinality(converting) = 0 THEN
        RAISE NOTICE 'nothing to do: every tenant table is already distributed on tenant_id';
    ELSE
        -- A table that still holds rows keeps a stale local copy after Citus
        -- has copied them into shards. That copy is removed below. For patient
        -- data that matters: a copy left behind would escape later corrections
        -- and deletions. Citus local tables always go through a local copy.
        FOR r IN
            SELECT x.rel,
                   EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = x.rel)
                   OR (SELECT sum(pg_relation_size(t.relid))
                         FROM (SELECT x.rel AS relid
                               UNION SELECT relid FROM pg_partition_tree(x.rel)) AS t) > 0 AS has_local_rows
              FROM unnest(converting) AS x(rel)
        LOOP
            IF r.has_local_rows THEN
                truncate_after := truncate_after || r.rel;
            END IF;
        END LOOP;

        involved := converting;
        FOR r IN
            SELECT format('%I.%I', n.nspname, c.relname) AS qualified, con.conname,
                   pg_get_constraintdef(con.oid) AS definition,
                   con.conrelid::regclass AS src, con.confrelid::regclass AS dst
              FROM pg_constraint con
              JOIN pg_class c ON c.oid = con.conrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE con.contype = 'f' AND con.conparentid = 0
               AND (con.conrelid::regclass = ANY (converting) OR con.confrelid::regclass = ANY (converting))
             ORDER BY 1, 2
        LOOP
            fk_drop := fk_drop || format('ALTER TABLE %s DROP CONSTRAINT %I', r.qualified, r.conname);
            fk_add  := fk_add  || format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.qualified, r.conname, r.definition);
            involved := involved || r.src || r.dst;
        END LOOP;

        -- FORCE ROW LEVEL SECURITY subjects the owner, too, to the tenant
        -- policies. With no app.tenant_id set, a policy either errors or
        -- hides every row: from the validation of a re-added foreign key,
        -- and from any copy Citus makes through SQL (undistributing a Citus
        -- local table). Lift FORCE on the tables involved for this
        -- transaction only. The ALTERs hold an exclusive lock until COMMIT,
        -- and FORCE is back before then, so no other session ever sees a
        -- table without it.
        FOR r IN
            SELECT DISTINCT t.relid AS rel
              FROM unnest(involved) AS x(rel)
             CROSS JOIN LATERAL (SELECT x.rel AS relid
                                 UNION SELECT relid FROM pg_partition_tree(x.rel)) AS t
              JOIN pg_class c ON c.oid = t.relid
             WHERE c.relforcerowsecurity
        LOOP
            unforced := unforced || r.rel;
            EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', r.rel);
        END LOOP;

        FOREACH stmt IN ARRAY fk_drop LOOP
            EXECUTE stmt;
        END LOOP;

        FOREACH tbl IN ARRAY to_reference LOOP
            RAISE NOTICE 'reference table: %', tbl;
            PERFORM create_reference_table(tbl);
        END LOOP;

        FOREACH tbl IN ARRAY to_distribute LOOP
            RAISE NOTICE 'distributed on tenant_id: % (co-located with %)', tbl, coalesce(anchor::text, 'itself, a new group');
            IF anchor IS NULL THEN
                PERFORM create_distributed_table(tbl, 'tenant_id', colocate_with => 'none');
                anchor := tbl;
            ELSE
                PERFORM create_distributed_table(tbl, 'tenant_id', colocate_with => anchor::text);
            END IF;
        END LOOP;

        FOREACH tbl IN ARRAY truncate_after LOOP
            PERFORM truncate_local_data_after_distributing_table(tbl);
        END LOOP;

        FOREACH stmt IN ARRAY fk_add LOOP
            EXECUTE stmt;
        END LOOP;

        FOREACH tbl IN ARRAY unforced LOOP
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
        END LOOP;

        RAISE NOTICE 'converted % reference and % distributed table(s); re-created % foreign key(s)',
            cardinality(to_reference), cardinality(to_distribute), cardinality(fk_add);
    END IF;

    -- 4. Settings the app and later migrations rely on (see the header).
    -- The database owner may set these for the database and for itself.
    EXECUTE format('ALTER DATABASE %I SET citus.propagate_set_commands = %L', current_database(), 'local');
    -- For later migrations that add triggers to distributed tables.
    EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET citus.enable_unsafe_triggers = on', current_database());
END
$distribute$;

COMMIT;
