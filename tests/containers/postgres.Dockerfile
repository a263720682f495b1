# A stand-in for the postgres:15 image from Debian's postgresql-15, honouring POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB as the real one does. Tests only.
FROM howsmytrack-test/bookworm:minbase
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/*
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
