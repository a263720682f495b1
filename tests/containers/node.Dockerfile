# A stand-in for the node:20-bookworm-slim image: Debian bookworm with this machine's own Node.js
# 20 and npm copied in (bookworm's packaged Node.js is 18, older than the client's Vite needs; the
# registry that serves the real image is out of reach here). Tests only.
FROM howsmytrack-test/bookworm:minbase
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN apt-get update \
    && apt-get install -y --no-install-recommends libstdc++6 ca-certificates \
    && update-ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY node/bin/node /usr/local/bin/node
COPY node/npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
