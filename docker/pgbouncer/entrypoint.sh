#!/bin/sh
# Writes PgBouncer's configuration from the environment, then runs it in the foreground.
set -eu
: "${DB_HOST:?}" "${DB_NAME:?}" "${DB_USER:?}" "${DB_PASSWORD:?}"
config=/tmp/pgbouncer
mkdir -p "$config"
umask 077
printf '"%s" "%s"\n' "$DB_USER" "$DB_PASSWORD" > "$config/userlist.txt"
cat > "$config/pgbouncer.ini" <<INI
[databases]
${DB_NAME} = host=${DB_HOST} port=${DB_PORT:-5432} dbname=${DB_NAME}

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${config}/userlist.txt
pool_mode = transaction
default_pool_size = ${POOL_SIZE:-40}
max_client_conn = ${MAX_CLIENTS:-1000}
server_connect_timeout = 5
query_wait_timeout = 30
ignore_startup_parameters = extra_float_digits
INI
exec pgbouncer "$config/pgbouncer.ini"
