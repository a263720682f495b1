#!/bin/sh
# Runs cron in the foreground. cron gives jobs an empty environment, so save this container's
# environment (DATABASE_URL, SECRET_KEY, SMTP_URL, ...) where the crontab lines can load it.
# cron reports to syslog, which a container lacks: busybox's syslogd passes it to our stdout.
set -eu
export -p | grep -v -E ' (HOME|HOSTNAME|PWD|SHLVL|TERM|_)=' > /app/.cron-env
chown app:app /app/.cron-env
chmod 600 /app/.cron-env
busybox syslogd -n -O /proc/1/fd/1 &
exec cron -f -L 15
