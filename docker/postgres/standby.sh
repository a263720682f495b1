#!/bin/sh
# The streaming hot standby (compose profile "replica"). On its first start it copies the primary
# with `pg_basebackup -R`, which also writes the settings to follow it; afterwards PostgreSQL starts
# as usual (the image's own entrypoint, which finds the data directory there).
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -q -h db -U "$POSTGRES_USER"; do sleep 1; done
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  PGPASSWORD="$POSTGRES_PASSWORD" gosu postgres pg_basebackup -h db -U "$POSTGRES_USER" -D "$PGDATA" \
    -R -X stream --checkpoint=fast
  echo "cluster_name = 'standby'" >> "$PGDATA/postgresql.auto.conf"
fi
exec docker-entrypoint.sh postgres
