-- Tūhono production database and roles, for a managed PostgreSQL 15 or later.
--
-- An administrator runs this once per environment. Use the provider's admin
-- role (rds_superuser on RDS, azure_pg_admin on Azure, cloudsqlsuperuser on
-- Cloud SQL; a real superuser works too), connected to the maintenance
-- database:
--
--   psql "host=<server> dbname=postgres user=<admin> sslmode=verify-full" \
--        -v ON_ERROR_STOP=1 -f deploy/db/roles.sql
--
-- Passwords are psql variables, so they are never written into this file.
-- Set them in the same psql session before running the file, for example:
--
--   \set owner_password 'long-random-secret-1'
--   \set app_password   'long-random-secret-2'
--   \i deploy/db/roles.sql
--
-- or type them in without echo:
--
--   \prompt 'tuhono_owner password: ' owner_password
--   \prompt 'tuhono_app password: '   app_password
--
-- Optional: \set dbname tuhono_staging (the default is tuhono).
--
-- Two roles:
--   tuhono_owner  owns the database, the schema and every table, and runs
--                 `tuhono migrate` (MIGRATE_DATABASE_URL). It never serves
--                 requests.
--   tuhono_app    the role `tuhono serve` connects as (DATABASE_URL). It owns
--                 nothing and lacks BYPASSRLS. Every tenant table has row-level
--                 security ENABLED and FORCED, with a policy on
--                 current_setting('app.tenant_id'), which the app sets per
--                 transaction with SET LOCAL. The app must connect as this
--                 role: an owner could switch RLS off, and a BYPASSRLS role
--                 skips it. Either would remove the database's wall between
--                 tenants.
-- Table privileges are not granted here. Each migration grants tuhono_app
-- exactly what it needs on the tables it creates (by this role name), so the
-- app can do no more than the code requires.
--
-- The CREATE statements fail if the roles or the database already exist. The
-- script is not meant to be run twice.

\set ON_ERROR_STOP on

\if :{?owner_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'set the psql variable owner_password first (see the header of roles.sql)'; END $$;
\endif
\if :{?app_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'set the psql variable app_password first (see the header of roles.sql)'; END $$;
\endif
\if :{?dbname}
\else
  \set dbname tuhono
\endif

-- ---------------------------------------------------------------------------
-- Roles
-- ---------------------------------------------------------------------------

CREATE ROLE tuhono_owner WITH
    LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';

-- NOINHERIT: if this role is ever made a member of another role by mistake,
-- it still gains none of that role's privileges.
-- CONNECTION LIMIT: a safety net against runaway pools. It sits above the
-- planned worst case of hpa maxReplicas (12) x DB_MAX_CONNS (10).
CREATE ROLE tuhono_app WITH
    LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT
    CONNECTION LIMIT 150
    PASSWORD :'app_password';

-- A managed admin is not a superuser. To create a database owned by another
-- role (PostgreSQL 15: be a member of it; 16+: be able to SET ROLE to it), and
-- later to manage it (extensions, password rotation), it must be a member of
-- the owner role. Managed admins can reset the owner's password anyway, so
-- this gives them no new power.
GRANT tuhono_owner TO CURRENT_USER;

-- ---------------------------------------------------------------------------
-- Database
-- ---------------------------------------------------------------------------

-- UTF8 from template0, whatever the server's default encoding: names carry
-- macrons (Māori), and the app stores NFC-normalised text.
CREATE DATABASE :"dbname" WITH OWNER tuhono_owner ENCODING 'UTF8' TEMPLATE template0;

-- By default PUBLIC can connect and create temporary tables. Here only the
-- owner (and its members) and the app may connect.
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"dbname" TO tuhono_app;

-- Defaults for tuhono_app's sessions in this database.
-- statement_timeout: a runaway query (a bad plan, a missing index) is
--   cancelled instead of holding a pool connection and its locks. The app's
--   REQUEST_TIMEOUT (15s) fires first, and this is the backstop.
-- idle_in_transaction_session_timeout: a transaction left open by a stuck
--   request or a leaked tx keeps its row locks (a practitioner's booking
--   slot, a note being signed) and its pool connection, and stops VACUUM
--   from cleaning up behind it. PostgreSQL ends such a session after 30s.
ALTER ROLE tuhono_app IN DATABASE :"dbname" SET statement_timeout = '30s';
ALTER ROLE tuhono_app IN DATABASE :"dbname" SET idle_in_transaction_session_timeout = '30s';

-- Migrations run while the old version is still serving. A DDL statement that
-- waits for a table lock queues every later query on that table behind it.
-- With lock_timeout it gives up after 5s and the migration Job retries,
-- instead of stalling live traffic.
ALTER ROLE tuhono_owner IN DATABASE :"dbname" SET lock_timeout = '5s';

-- ---------------------------------------------------------------------------
-- Inside the new database
-- ---------------------------------------------------------------------------

\connect :"dbname"

-- PostgreSQL 15 already withholds CREATE on public from PUBLIC. A server
-- upgraded from 14 or earlier, or a provider template, may not. Revoke
-- USAGE too: roles other than these two have no business here.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO tuhono_owner;
GRANT USAGE ON SCHEMA public TO tuhono_app;

-- btree_gist provides the `tenant_id WITH =, practitioner_id WITH =` part of
-- the appointments exclusion constraint (no double booking). It is a trusted
-- extension, and the migrations create it IF NOT EXISTS too. Creating it here,
-- as the administrator, covers providers that allow only listed extensions
-- (Azure: add it to azure.extensions first) or only their admin role.
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

\echo 'Done. Next: put the role passwords in the Secrets tuhono-db and tuhono-db-owner (deploy/README.md), then run the migration Job.'
