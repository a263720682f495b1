# A stand-in for the caddy:2 image from Debian's caddy package: the Caddyfile at
# /etc/caddy/Caddyfile, certificates and state under /data, as the real image keeps them. Tests only.
FROM howsmytrack-test/bookworm:minbase
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN apt-get update \
    && apt-get install -y --no-install-recommends caddy ca-certificates \
    && update-ca-certificates \
    && rm -rf /var/lib/apt/lists/*
ENV XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config
EXPOSE 80 443
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
