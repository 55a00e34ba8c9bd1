-- Roles, database and privileges of Federation's event store. Run by ops/postgres/up.sh as the cluster
-- superuser over the Unix socket, with psql variables writer_password and auditor_password.
-- Idempotent: every statement either checks first or sets a value that may already be set.

-- federation: the aggregator's (and the tests') login. It owns the database and so the event store
-- schemas it creates; it is not a superuser, so it cannot disable the append-only triggers cluster-wide
-- (session_replication_role) or bypass privileges.
SELECT 'CREATE ROLE federation' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'federation')
\gexec
ALTER ROLE federation WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'writer_password';

-- federation_auditor: reads everything, writes nothing.
SELECT 'CREATE ROLE federation_auditor' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'federation_auditor')
\gexec
ALTER ROLE federation_auditor WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'auditor_password';
-- A guard against accidents only: privileges (below) are what refuse writes.
ALTER ROLE federation_auditor SET default_transaction_read_only = on;

-- UTF8 whatever the cluster's default, so every event's text round-trips.
SELECT 'CREATE DATABASE federation OWNER federation ENCODING ''UTF8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'federation')
\gexec
ALTER DATABASE federation OWNER TO federation;

-- Only the two roles may connect; nobody else may create temporary tables there.
REVOKE ALL ON DATABASE federation FROM PUBLIC;
GRANT CONNECT ON DATABASE federation TO federation_auditor;

\connect federation

-- Schemas and tables that federation creates from now on (the event store creates its schema on first
-- open) are readable by the auditor, without anyone having to remember a GRANT.
ALTER DEFAULT PRIVILEGES FOR ROLE federation GRANT USAGE ON SCHEMAS TO federation_auditor;
ALTER DEFAULT PRIVILEGES FOR ROLE federation GRANT SELECT ON TABLES TO federation_auditor;

-- ...and those it created before this ran.
DO $$
DECLARE
    schema_name name;
BEGIN
    FOR schema_name IN
        SELECT nspname FROM pg_namespace WHERE nspowner = 'federation'::regrole AND nspname <> 'public'
    LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO federation_auditor', schema_name);
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO federation_auditor', schema_name);
    END LOOP;
END
$$;
GRANT USAGE ON SCHEMA public TO federation_auditor;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO federation_auditor;
