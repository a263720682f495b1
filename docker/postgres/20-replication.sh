#!/bin/sh
# Run once, when the database is first created: streaming standbys (the compose profile "replica")
# may connect for replication with the same password authentication as everyone else.
set -eu
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
