#!/bin/sh
# Run once, when the database is first created (the postgres image's /docker-entrypoint-initdb.d):
# behind PgBouncer the web processes cannot set their session limits at connect time, so they are
# the role's. Jobs and migrations lift the statement limit inside their own transaction.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
ALTER ROLE "$POSTGRES_USER" SET statement_timeout = '15s';
ALTER ROLE "$POSTGRES_USER" SET idle_in_transaction_session_timeout = '60s';
SQL
